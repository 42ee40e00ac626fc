package org.soupofexperts.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.SpecialistCache;
import org.soupofexperts.core.config.DomainAssigner;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.finetune.DomainWeightFit;
import org.soupofexperts.data.generate.TextGenerator;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * Routes, authenticates and answers requests. Jetty's threads never score: they check the
 * request, read its body without blocking (bounded), and hand it to a fixed pool of workers
 * behind a bounded queue. Thread-safe.
 */
final class Endpoints extends Handler.Abstract.NonBlocking {

    private static final Logger LOG = LoggerFactory.getLogger(Endpoints.class);

    private final DomainAssigner assigner;
    /** The assigner when it is a fit whose specialists go past h (a tuned or layer-wise alpha); else null. */
    private final DomainWeightFit tuner;
    /** Token positions read to make one request's specialist, before it scores: {@link #specialistCost}. */
    private final long fitCost;
    /** What the cost above is spent on, for the refusals that name it. */
    private final String fitName;

    private final Tokenizer tokenizer;
    private final SpecialistCache cache;
    private final int context;
    private final ServerLimits limits;
    private final byte[] authorization;
    private final List<String> domainNames;
    private final ThreadPoolExecutor workers;
    /** Answers requests that waited past the queue timeout; one daemon thread. */
    private final ScheduledThreadPoolExecutor timeouts;

    private final AtomicLong rejected = new AtomicLong();
    /** Set once, before the server starts (the meters read this object back). */
    private volatile ServerMetrics metrics;
    /** Requests queued or running, over all clients. */
    private final AtomicInteger active = new AtomicInteger();
    /** Requests of each client address queued or running (entries removed at zero). */
    private final ConcurrentHashMap<String, Integer> inFlight = new ConcurrentHashMap<>();

    /**
     * Token positions the soup's model reads to assign h per request, whatever the documents
     * ({@link DomainAssigner#maxTokenPositions()}): a fit of h scores windows of them at many h; a
     * histogram reads none of the soup's (its embedder's cost grows with the documents, which the
     * body limit bounds).
     */
    static long specialistCost(DomainAssigner assigner) {
        if (tuner(assigner) != null) {
            return Math.max(0, ((DomainWeightFit) assigner).maxSpecializePositions());
        }
        return Math.max(0, assigner.maxTokenPositions());
    }

    /** Token positions charged for assigning a request's specialist, and what they are for. */
    private record Charge(long positions, String what) {}

    /** The documents' tokens, plus 2 per document (a margin for the blank line that joins it to the next). */
    private long documentPositions(List<String> documents) {
        long n = 0;
        for (String d : documents) {
            n += tokenizer.encode(d).length + 2L;
        }
        return n;
    }

    /**
     * What assigning these documents' specialist reads at most: the fit's bound, or for a fit's
     * documents too short to fit (which get its start h) only the start assigner's. An assigner
     * wrapping a fit is charged the whole bound.
     */
    private Charge charge(List<String> documents) {
        if (assigner instanceof DomainWeightFit f && !f.canFit(documents)) {
            return new Charge(Math.max(0, f.maxStartPositions()), "the start assigner's h");
        }
        return new Charge(fitCost, fitName);
    }

    /** The assigner as a fit whose specialists go past h, or null. */
    static DomainWeightFit tuner(DomainAssigner assigner) {
        return assigner instanceof DomainWeightFit f && f.tunesBeyondH() ? f : null;
    }

    Endpoints(
            DomainAssigner assigner,
            Tokenizer tokenizer,
            SpecialistCache cache,
            int context,
            ServerLimits limits,
            String token,
            List<String> domainNames) {
        this.domainNames = List.copyOf(domainNames);
        this.assigner = assigner;
        this.tuner = tuner(assigner);
        this.fitCost = specialistCost(assigner);
        this.fitName = tuner != null ? "the fit of h and alpha" : "the fit of h";
        this.tokenizer = tokenizer;
        this.cache = cache;
        this.context = context;
        this.limits = limits;
        this.authorization = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        // Round-robin across clients: one client's queued requests never all go before another's.
        BlockingQueue<Runnable> queue = limits.queue() == 0 ? new SynchronousQueue<>() : new FairQueue(limits.queue());
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(
                limits.workers(),
                limits.workers(),
                0,
                TimeUnit.MILLISECONDS,
                queue,
                r -> {
                    Thread t = new Thread(r, "soe-serve-worker-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                },
                new ThreadPoolExecutor.AbortPolicy());
        this.timeouts = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "soe-serve-queue-timeout");
            t.setDaemon(true);
            return t;
        });
        // A request taken up in time cancels its timer: cancelled timers must not pile up.
        timeouts.setRemoveOnCancelPolicy(true);
    }

    long rejected() {
        return rejected.get();
    }

    void metrics(ServerMetrics m) {
        this.metrics = m;
    }

    /** Requests queued or running now. */
    int active() {
        return active.get();
    }

    void close() {
        timeouts.shutdownNow();
        workers.shutdownNow();
    }

    @Override
    public boolean handle(Request request, Response response, Callback given) {
        String path = Request.getPathInContext(request);
        Callback callback = timed(path, response, given);
        try {
            switch (path) {
                case "/health" -> {
                    allow(request, response, "GET");
                    JsonObject o = new JsonObject();
                    o.addProperty("status", "ok");
                    write(response, callback, 200, o);
                }
                case "/metrics" -> metricsPage(request, response, callback);
                case "/loss", "/domain-weights", "/generate" -> {
                    allow(request, response, "POST");
                    authenticate(request, response);
                    long declared = request.getLength();
                    if (declared > limits.maxBodyBytes()) {
                        throw tooLarge();
                    }
                    String client = Request.getRemoteAddr(request);
                    readBody(
                            request,
                            new ByteArrayOutputStream(),
                            // A client's share counts requests queued or running, not bodies still
                            // arriving: a slow client holds a connection, never a share.
                            body -> {
                                Callback slot;
                                try {
                                    slot = admit(client, response, callback);
                                } catch (HttpError e) {
                                    error(response, callback, e);
                                    return;
                                }
                                dispatch(client, work(path), body, response, slot);
                            },
                            failure -> {
                                if (failure instanceof HttpError e) {
                                    error(response, callback, e);
                                } else {
                                    LOG.debug(
                                            "request body from {} not read: {}",
                                            Request.getRemoteAddr(request),
                                            failure.toString());
                                    callback.failed(failure);
                                }
                            });
                }
                default ->
                    throw new HttpError(
                            404,
                            "no endpoint " + shorten(path)
                                    + ": POST /loss or /domain-weights with {\"documents\": [text, ...]}, POST /generate"
                                    + " with {\"documents\": [...], \"prompt\": text, ...}, GET /health or /metrics");
            }
        } catch (HttpError e) {
            error(response, callback, e);
        }
        return true;
    }

    /** The meters in Prometheus' text format (with the token, when one is set). */
    private void metricsPage(Request request, Response response, Callback callback) {
        allow(request, response, "GET");
        authenticate(request, response);
        String text = metrics == null ? null : metrics.scrape();
        if (text == null) {
            throw new HttpError(404, "this server's meters go to the application's own registry, not to /metrics");
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
        Content.Sink.write(response, true, text, callback);
    }

    /** The callback that records the request's endpoint, status and time when its answer is written. */
    private Callback timed(String path, Response response, Callback callback) {
        ServerMetrics m = metrics;
        if (m == null) {
            return callback;
        }
        long start = m.start();
        return Callback.from(
                callback.getInvocationType(),
                () -> {
                    m.record(start, path, response.getStatus());
                    callback.succeeded();
                },
                x -> {
                    m.record(start, path, response.getStatus());
                    callback.failed(x);
                });
    }

    /**
     * Takes one of the client's places (429 when it holds them all) and returns the callback that
     * gives it back when the response is complete, whichever way it ends: a client that sends
     * expensive requests back to back waits for its own, and leaves the other workers to others.
     */
    private Callback admit(String client, Response response, Callback callback) {
        int max = limits.maxInFlightPerClient();
        boolean[] admitted = {false};
        inFlight.compute(client, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= max) {
                return now;
            }
            admitted[0] = true;
            return now + 1;
        });
        if (!admitted[0]) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            throw new HttpError(
                    429,
                    "this client already has " + max
                            + " requests queued or running; wait for them before sending more");
        }
        active.incrementAndGet();
        return new ClientSlot(callback, () -> {
            active.decrementAndGet();
            inFlight.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
        });
    }

    /**
     * A response's callback that holds one of its client's places. The place is given back before
     * the response is written (a client that reads its answer and sends the next request at once
     * must find it free), or when the exchange ends without a response.
     */
    private static final class ClientSlot implements Callback {
        private final Callback callback;
        private final Runnable giveBack;
        private final AtomicBoolean released = new AtomicBoolean();

        ClientSlot(Callback callback, Runnable giveBack) {
            this.callback = callback;
            this.giveBack = giveBack;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                giveBack.run();
            }
        }

        @Override
        public void succeeded() {
            release();
            callback.succeeded();
        }

        @Override
        public void failed(Throwable x) {
            release();
            callback.failed(x);
        }

        @Override
        public InvocationType getInvocationType() {
            return callback.getInvocationType();
        }
    }

    /** Requests queued or running for each client address now (for tests and metrics). */
    int inFlight(String client) {
        return inFlight.getOrDefault(client, 0);
    }

    private void allow(Request request, Response response, String method) {
        if (!method.equals(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, method);
            throw new HttpError(
                    405,
                    Request.getPathInContext(request) + " takes " + method + ", not " + shorten(request.getMethod()));
        }
    }

    private void authenticate(Request request, Response response) {
        if (authorization == null) {
            return;
        }
        String given = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        // Constant-time comparison: the time to refuse says nothing about how much was right.
        if (given == null || !MessageDigest.isEqual(authorization, given.getBytes(StandardCharsets.UTF_8))) {
            response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
            throw new HttpError(401, given == null ? "missing header 'Authorization: Bearer <token>'" : "wrong token");
        }
    }

    private HttpError tooLarge() {
        return new HttpError(413, "the body is larger than " + limits.maxBodyBytes() + " bytes");
    }

    /**
     * Reads the body as it arrives, never blocking a thread: whatever has come is copied, then the
     * read resumes when more is demanded. Stops with 413 as soon as the body passes the limit.
     */
    private void readBody(
            Request request, ByteArrayOutputStream body, Consumer<byte[]> done, Consumer<Throwable> failed) {
        while (true) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                request.demand(() -> readBody(request, body, done, failed));
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                failed.accept(chunk.getFailure());
                return;
            }
            ByteBuffer bytes = chunk.getByteBuffer();
            if ((long) body.size() + bytes.remaining() > limits.maxBodyBytes()) {
                chunk.release();
                failed.accept(tooLarge());
                return;
            }
            byte[] copy = new byte[bytes.remaining()];
            bytes.get(copy);
            body.write(copy, 0, copy.length);
            boolean last = chunk.isLast();
            chunk.release();
            if (last) {
                done.accept(body.toByteArray());
                return;
            }
        }
    }

    /** What a worker does with a request's body: answers it through the response and callback. */
    @FunctionalInterface
    private interface Work {
        void run(byte[] body, Response response, Callback callback);
    }

    /** What a worker does with the body of a request to {@code path}. */
    private Work work(String path) {
        return switch (path) {
            case "/generate" -> this::generate;
            case "/loss" -> (body, response, callback) -> write(response, callback, 200, score(true, body));
            default -> (body, response, callback) -> write(response, callback, 200, score(false, body));
        };
    }

    private void dispatch(String client, Work work, byte[] body, Response response, Callback callback) {
        long queued = System.nanoTime();
        // Whoever takes the request first answers it: a worker, or the queue timeout's timer (it
        // answers 503 at the timeout, not when a worker is free at last, and frees the place).
        AtomicBoolean taken = new AtomicBoolean();
        AtomicReference<ScheduledFuture<?>> timer = new AtomicReference<>();
        FairQueue.ClientTask task = new FairQueue.ClientTask(client, () -> {
            if (!taken.compareAndSet(false, true)) {
                return;
            }
            ScheduledFuture<?> t = timer.get();
            if (t != null) {
                t.cancel(false);
            }
            if (System.nanoTime() - queued > limits.queueTimeout().toNanos()) {
                error(response, callback, waitedTooLong());
                return;
            }
            run(work, body, response, callback);
        });
        try {
            workers.execute(task);
        } catch (RejectedExecutionException e) {
            error(
                    response,
                    callback,
                    overloaded(
                            "all " + limits.workers() + " workers are busy and " + limits.queue() + " requests wait"));
            return;
        }
        if (limits.queue() > 0 && !taken.get()) {
            try {
                ScheduledFuture<?> t = timeouts.schedule(
                        () -> timedOut(taken, task, response, callback),
                        limits.queueTimeout().toNanos(),
                        TimeUnit.NANOSECONDS);
                timer.set(t);
                if (taken.get()) {
                    // A worker took it before the timer was set: it could not cancel it, so this does
                    // (a live timer would hold the request's body until the timeout).
                    t.cancel(false);
                }
            } catch (RejectedExecutionException e) {
                // Closing: the server's stop ends the exchange.
                LOG.debug("no queue timeout for a request while the server closes");
            }
        }
    }

    /** The queue timeout's timer: answers 503 and frees the request's place, unless a worker took it. */
    private void timedOut(AtomicBoolean taken, Runnable task, Response response, Callback callback) {
        if (!taken.compareAndSet(false, true)) {
            return;
        }
        workers.remove(task);
        try {
            error(response, callback, waitedTooLong());
        } catch (RuntimeException e) {
            LOG.error("could not answer a request that waited past the queue timeout", e);
            callback.failed(e);
        }
    }

    /** Runs a request's work in a worker, answering any failure with its status. */
    private void run(Work work, byte[] body, Response response, Callback callback) {
        try {
            work.run(body, response, callback);
        } catch (HttpError e) {
            error(response, callback, e);
        } catch (IllegalArgumentException e) {
            error(response, callback, HttpError.badRequest(e.getMessage()));
        } catch (RuntimeException | OutOfMemoryError e) {
            LOG.error("request failed", e);
            error(
                    response,
                    callback,
                    new HttpError(
                            500,
                            "the server failed to score the request: "
                                    + e.getClass().getSimpleName()));
        }
    }

    private HttpError waitedTooLong() {
        return overloaded("waited longer than " + limits.queueTimeout().toMillis() + " ms for a worker");
    }

    private HttpError overloaded(String why) {
        rejected.incrementAndGet();
        return new HttpError(503, "overloaded: " + why + "; retry later");
    }

    private JsonObject score(boolean loss, byte[] body) {
        List<String> documents = DocumentsRequest.parse(body, limits.maxDocuments());
        if (loss) {
            // The cost, counted before any work: the tokens the loss would score, and what assigning h reads.
            long scored = documentPositions(documents);
            Charge fit = charge(documents);
            long tokens = fit.positions() + scored;
            if (tokens > limits.maxTokensPerRequest()) {
                throw new HttpError(
                        413,
                        "the documents hold about " + scored + " tokens"
                                + (fit.positions() > 0 ? " (with " + fit.what() + ", " + tokens + " positions)" : "")
                                + ", more than the " + limits.maxTokensPerRequest()
                                + " this server scores per request"
                                + (fit.positions() > 0
                                        ? "; " + fit.what() + " takes " + fit.positions()
                                                + ", so send documents of at most "
                                                + (limits.maxTokensPerRequest() - fit.positions())
                                                + " tokens, counting 2 more per document"
                                        : "; send them in several requests"));
            }
        }
        JsonObject o = new JsonObject();
        if (!loss) {
            Assigned a = assign(documents, false);
            o.add("h", numbers(a.h()));
            a.describe(o);
            names(o);
        } else {
            Evaluation.Loss l;
            try (Made made = make(documents)) {
                made.describe(o);
                names(o);
                l = Evaluation.onDocuments(made.specialist()::loss, tokenizer, documents, context);
            }
            if (!Double.isFinite(l.natsPerToken())) {
                throw new IllegalStateException("the specialist's loss is not finite");
            }
            o.addProperty("bitsPerByte", l.bitsPerByte());
            o.addProperty("natsPerToken", l.natsPerToken());
            o.addProperty("tokens", l.tokens());
        }
        return o;
    }

    /**
     * Continues the prompt with the specialist of the documents' domain weights. The cost,
     * counted before any work and against the same budget as {@code /loss}, is the positions the
     * model reads: what assigning h reads ({@link #charge}), the documents' tokens, then the prompt
     * and each new token once while the text fits the context (the key/value cache), and a whole
     * context for each token past it.
     */
    private void generate(byte[] body, Response response, Callback callback) {
        GenerateRequest r = GenerateRequest.parse(body, limits.maxDocuments());
        // Refused here rather than by the generator, which runs after the fit and the instantiation.
        int prompt = tokenizer.encode(r.prompt()).length;
        if (prompt == 0) {
            throw HttpError.badRequest("the prompt encodes to no tokens; generation needs at least one");
        }
        long documents = documentPositions(r.documents());
        Charge fit = charge(r.documents());
        long cost = fit.positions() + documents;
        long text = prompt + (long) r.generation().maxNewTokens();
        cost += Math.min(text, context) + Math.max(0, text - context) * context;
        if (cost > limits.maxTokensPerRequest()) {
            throw new HttpError(
                    413,
                    "the request would read about " + cost + " token positions (documents"
                            + (fit.positions() > 0 ? ", " + fit.what() : "") + ", prompt and "
                            + r.generation().maxNewTokens() + " new tokens with a context of " + context
                            + "), more than the " + limits.maxTokensPerRequest()
                            + " this server allows per request"
                            + (fit.positions() > 0 ? " (" + fit.what() + " takes " + fit.positions() + ")" : "")
                            + "; ask for fewer new tokens or send shorter documents");
        }
        if (r.stream()) {
            new GenerationStream(response, callback).run(r);
            return;
        }
        JsonObject o = new JsonObject();
        try (Made made = make(r.documents())) {
            String continuation =
                    TextGenerator.of(made.specialist(), tokenizer).generate(r.prompt(), r.generation(), r.stop());
            o.addProperty("text", continuation);
            made.describe(o);
        } catch (ArithmeticException e) {
            throw new IllegalStateException("the specialist's logits are not finite", e);
        }
        write(response, callback, 200, o);
    }

    /**
     * The specialist for a request's documents: with a fit that goes past h, the soup instantiated
     * at the documents' fitted alpha (one per request, closed after it); otherwise the cached
     * specialist of the assigner's h (a tuner's documents too short to fit get their start h).
     */
    private Made make(List<String> documents) {
        Assigned a = assign(documents, true);
        // Made first, then what it must close: nothing can fail between taking it and handing it over.
        Made made = new Made(a, tuner != null && a.fit() != null);
        if (made.tuned) {
            made.owned = tuner.instantiate(a.fit());
        } else {
            made.lease = cache.acquire(a.h());
        }
        return made;
    }

    /**
     * The documents' h, fitted when the assigner is a fit and they are long enough (with its alpha
     * and layer-wise alpha too when {@code beyondH} and the fit tunes them), each fit timed.
     */
    private Assigned assign(List<String> documents, boolean beyondH) {
        if (!(assigner instanceof DomainWeightFit f) || !f.canFit(documents)) {
            return new Assigned(assigner.domainWeights(documents), null);
        }
        long start = System.nanoTime();
        DomainWeightFit.Result r = beyondH ? f.fit(documents) : f.fitH(documents);
        ServerMetrics m = metrics;
        if (m != null) {
            m.fit(System.nanoTime() - start, r.stoppedEarly());
        }
        return new Assigned(r.h(), r);
    }

    /** A request's h, and the fit that gave it (null when no fit ran). */
    private record Assigned(double[] h, DomainWeightFit.Result fit) {

        /** Says whether the fit ran out of time (only when a fit ran). */
        void describe(JsonObject o) {
            if (fit != null) {
                o.addProperty("fitStoppedEarly", fit.stoppedEarly());
            }
        }
    }

    private void names(JsonObject o) {
        if (!domainNames.isEmpty()) {
            JsonArray names = new JsonArray();
            domainNames.forEach(names::add);
            o.add("domains", names);
        }
    }

    private static JsonArray numbers(double[] v) {
        JsonArray a = new JsonArray();
        for (double x : v) {
            a.add(x);
        }
        return a;
    }

    /** A request's specialist, leased from the cache or owned, and the numbers it was made at. */
    private static final class Made implements AutoCloseable {
        private final Assigned assigned;
        /** Whether the specialist is the soup at the fit's alpha, made for this request alone. */
        private final boolean tuned;
        /** Set right after construction, so that a failure while building this object leaks nothing. */
        private SpecialistCache.Lease lease;

        private Specialist owned;

        Made(Assigned assigned, boolean tuned) {
            this.assigned = assigned;
            this.tuned = tuned;
        }

        Specialist specialist() {
            return owned != null ? owned : lease.specialist();
        }

        /**
         * Adds h, whether a fit stopped early, and the alpha (and layer-wise alpha) a fit went on
         * to, to a response.
         */
        void describe(JsonObject o) {
            o.add("h", numbers(assigned.h()));
            assigned.describe(o);
            if (!tuned) {
                return;
            }
            DomainWeightFit.Result fitted = assigned.fit();
            o.add("alpha", numbers(fitted.alpha()));
            double[][] rows = fitted.layerAlpha();
            if (rows.length > 0) {
                JsonArray layers = new JsonArray();
                for (double[] row : rows) {
                    layers.add(numbers(row));
                }
                o.add("layerAlpha", layers);
            }
        }

        @Override
        public void close() {
            if (owned != null) {
                owned.close();
            } else if (lease != null) {
                lease.close();
            }
        }
    }

    /**
     * A streamed {@code /generate} answer: newline-delimited JSON, one {@code {"text": piece}} line
     * per piece as soon as it is final, then {@code {"done": true, "text": all, "h": [...]}}. Each
     * line is written before the next token is made, and the worker waits for it to leave (a
     * client that stops reading holds its worker until the connection's idle timeout ends the
     * write, and then generation stops). A failure after the first line cannot change the status
     * any more: it ends the stream with {@code {"error": "..."}}.
     */
    private final class GenerationStream {
        private final Response response;
        private final Callback callback;
        private boolean started;

        GenerationStream(Response response, Callback callback) {
            this.response = response;
            this.callback = callback;
        }

        void run(GenerateRequest r) {
            JsonObject done = new JsonObject();
            try (Made made = make(r.documents())) {
                String text = TextGenerator.of(made.specialist(), tokenizer).stream(
                        r.prompt(), r.generation(), r.stop(), this::piece);
                done.addProperty("done", true);
                done.addProperty("text", text);
                made.describe(done);
            } catch (RuntimeException e) {
                if (!started) {
                    throw e instanceof ArithmeticException
                            ? new IllegalStateException("the specialist's logits are not finite", e)
                            : e;
                }
                LOG.warn("streamed generation ended by {}", e.toString());
                JsonObject o = new JsonObject();
                o.addProperty("error", e instanceof UncheckedIOException ? "the client stopped reading" : "failed");
                end(o);
                return;
            }
            end(done);
        }

        private void piece(String text) {
            if (!started) {
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-ndjson; charset=utf-8");
                started = true;
            }
            JsonObject o = new JsonObject();
            o.addProperty("text", text);
            try (Blocker.Callback written = Blocker.callback()) {
                Content.Sink.write(response, false, o + "\n", written);
                written.block();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void end(JsonObject last) {
            if (!started) {
                write(response, callback, 200, last);
                return;
            }
            if (callback instanceof ClientSlot slot) {
                slot.release();
            }
            Content.Sink.write(response, true, last + "\n", callback);
        }
    }

    private static void error(Response response, Callback callback, HttpError e) {
        JsonObject o = new JsonObject();
        o.addProperty("status", e.status());
        o.addProperty("error", e.getMessage());
        if (e.status() == 503 || e.status() == 429) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
        }
        write(response, callback, e.status(), o);
    }

    private static void write(Response response, Callback callback, int status, JsonObject body) {
        if (callback instanceof ClientSlot slot) {
            slot.release();
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
        Content.Sink.write(response, true, body.toString(), callback);
    }

    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
