package org.soupofexperts.core;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.Seeds;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.internal.NativeExit;
import org.soupofexperts.core.io.internal.LoadedTensors;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.Router;
import org.soupofexperts.core.nn.SoupTensor;
import org.soupofexperts.core.nn.WeightInit;

/**
 * A soup's native parameters: S and the expert banks (in the model block), the router, the
 * manager that owns them, and the lock that guards them: readers ({@link #shared}) run together,
 * a writer ({@link #exclusive}, {@link #close}) runs alone. The fields are read only inside a
 * guarded section; the methods without a guard are called from one.
 */
final class SoupParameters implements AutoCloseable {

    final SoupConfig config;
    final NDManager manager;
    final GptModel model;
    final Router router;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean closed;

    /** Declares the parameters (no values yet) on {@code device} (null: the engine's default). */
    SoupParameters(SoupConfig config, Device device) {
        this.config = config;
        this.manager = Djl.newManager(device);
        this.model = new GptModel(config.model(), config.experts(), config.expertRanks());
        this.router = new Router(config.numDomains(), config.experts(), config.router());
    }

    /** Parameters with their seeded initial values on {@code device}, logged with their sizes. */
    static SoupParameters initialized(SoupConfig config, Device device) {
        SoupParameters p = new SoupParameters(config, device);
        try {
            p.initialize();
        } catch (RuntimeException | OutOfMemoryError e) {
            p.close();
            throw e;
        }
        return p;
    }

    /** Seeded initial values: the same config gives the same parameters. */
    void initialize() {
        try (Djl.Scope scope = Djl.scope()) {
            var rng = Seeds.stream(config.seed(), Seeds.INIT);
            var expertRng = Seeds.stream(config.seed(), Seeds.INIT_EXPERTS);
            WeightInit.initialize(model.soupTensors(), manager, rng, expertRng, config.expertInit());
            WeightInit.initialize(router.soupTensors(), manager, rng, expertRng, config.expertInit());
        }
    }

    /** Reads the values saved by {@link #write}, checks every shape and value, enables gradients. */
    void read(Path dir, Path parameterFile) throws IOException {
        LoadedTensors.read(dir, parameterFile, manager, List.of(model, router));
        List<SoupTensor> all = tensors();
        LoadedTensors.check(dir, all);
        for (SoupTensor t : all) {
            t.shared().getArray().setRequiresGradient(true);
            for (Parameter p : t.bank().parameters()) {
                p.getArray().setRequiresGradient(true);
            }
        }
    }

    /** Refuses weights that hold NaN or infinity before a save (see {@link LoadedTensors#requireFinite}). */
    void requireFinite(Path dir) {
        LoadedTensors.requireFinite(model, dir);
        LoadedTensors.requireFinite(router, dir);
    }

    void write(DataOutputStream out) throws IOException {
        model.saveParameters(out);
        router.saveParameters(out);
    }

    /** The model's tensors, then the router's. */
    List<SoupTensor> tensors() {
        List<SoupTensor> all = new ArrayList<>(model.soupTensors());
        all.addAll(router.soupTensors());
        return all;
    }

    /** All stored values: S, the banks and the router. */
    long count() {
        long n = config.bankParameterCount();
        for (SoupTensor t : tensors()) {
            n += t.numel();
        }
        return n;
    }

    /** alpha = router(h) as Java values. */
    double[] alphaValues(double[] h) {
        try (Djl.NoGradScope scope = Djl.noGradScope()) {
            return toDoubles(alpha(manager, h).toFloatArray());
        }
    }

    /** alpha = router(h), in {@code m}'s scope. */
    NDArray alpha(NDManager m, double[] h) {
        return router.alpha(Djl.engineOwned(m.create(Djl.floats(h))));
    }

    /**
     * The plain model of base size at h: every tensor {@code S + sum_j alpha_j E_j}, without
     * autograd, into a new manager on the soup's device.
     */
    Merged merge(double[] h) {
        return mergeAt(m -> alpha(m, h));
    }

    /** As {@link #merge}, at expert coefficients given directly instead of router(h). */
    Merged mergeAlpha(double[] alpha) {
        return mergeAt(m -> alphaArray(m, alpha));
    }

    /** alpha given directly, as an array in {@code m}. */
    static NDArray alphaArray(NDManager m, double[] alpha) {
        return Djl.engineOwned(m.create(Djl.floats(alpha)));
    }

    /**
     * As {@link #merge}, with one row of coefficients per layer group ({@link GptModel#layerGroups})
     * instead of one alpha for every tensor; {@link Merged#alpha} holds the rows one after another.
     */
    Merged mergeLayers(double[][] alpha) {
        int[] group = model.layerGroupOfTensors();
        return mergeAt(m -> layerAlphaArray(m, alpha), (a, i) -> a.get(group[i]));
    }

    /** Layer-wise alpha as a (groups, n) array in {@code m}. */
    static NDArray layerAlphaArray(NDManager m, double[][] alpha) {
        float[] flat = new float[alpha.length * alpha[0].length];
        for (int g = 0; g < alpha.length; g++) {
            for (int j = 0; j < alpha[g].length; j++) {
                flat[g * alpha[g].length + j] = (float) alpha[g][j];
            }
        }
        return Djl.engineOwned(m.create(flat, new Shape(alpha.length, alpha[0].length)));
    }

    private Merged mergeAt(Function<NDManager, NDArray> alphaFn) {
        return mergeAt(alphaFn, (a, i) -> a);
    }

    private Merged mergeAt(Function<NDManager, NDArray> alphaFn, BiFunction<NDArray, Integer, NDArray> row) {
        NDManager target = Djl.newManager(manager.getDevice());
        GptModel plain = new GptModel(config.model(), 0);
        List<SoupTensor> src = model.soupTensors();
        List<SoupTensor> dst = plain.soupTensors();
        try (Djl.NoGradScope scope = Djl.noGradScope()) {
            NDArray alpha = alphaFn.apply(manager);
            for (int i = 0; i < src.size(); i++) {
                NDArray merged = src.get(i).value(row.apply(alpha, i));
                NDScope.unregister(merged);
                merged.attach(target);
                dst.get(i).shared().setArray(merged);
            }
            return new Merged(target, plain, toDoubles(alpha.toFloatArray()));
        } catch (RuntimeException e) {
            target.close();
            throw e;
        }
    }

    /**
     * The mean next-token loss at one alpha row per layer group, and its gradient with respect to
     * those rows (S and the experts are read without theirs). Holds the JVM's gradient lock (the
     * caller takes it first, before this soup's lock).
     */
    SoupOfExperts.LayerAlphaLoss layerLoss(TokenBatch batch, double[][] alpha) {
        Forward.checkScored(model, batch);
        int[] group = model.layerGroupOfTensors();
        List<SoupTensor> src = model.soupTensors();
        Djl.gradientLock().lock();
        // The grad mode is restored on the way out: the collector turns it on, and on again before it
        // throws when some code outside this library holds another collector.
        try (NativeExit.Section held = NativeExit.enter();
                Djl.NoGrad mode = Djl.noGrad();
                Djl.Scope scope = Djl.scope();
                NDManager tmp = manager.newSubManager();
                GradientCollector gc = Djl.engine().newGradientCollector()) {
            NDArray a = layerAlphaArray(tmp, alpha);
            a.setRequiresGradient(true);
            List<NDArray> values = new ArrayList<>();
            for (int i = 0; i < src.size(); i++) {
                SoupTensor t = src.get(i);
                NDArray s = t.shared().getArray().stopGradient();
                values.add(t.hasExperts() ? t.expertSum(a.get(group[i]), true).add(s) : s);
            }
            GptModel plain = GptModel.withWeights(config.model(), values);
            try {
                NDArray tokens = tmp.create(batch.tokens(), new Shape(batch.batchSize(), batch.length()));
                NDArray loss = plain.loss(tokens, null);
                gc.backward(loss);
                float[] g = a.getGradient().toFloatArray();
                double[][] grad = new double[alpha.length][alpha[0].length];
                for (int r = 0; r < grad.length; r++) {
                    for (int j = 0; j < grad[r].length; j++) {
                        grad[r][j] = g[r * grad[r].length + j];
                    }
                }
                return new SoupOfExperts.LayerAlphaLoss(loss.getFloat(), grad);
            } finally {
                plain.closeCaches();
            }
        } finally {
            Djl.gradientLock().unlock();
        }
    }

    /** A merged model, the manager that owns its parameters, and the alpha it was merged at. */
    record Merged(NDManager manager, GptModel model, double[] alpha) {}

    /** Sets S to the parameters of a plain model of the same config (experts and router unchanged). */
    void setShared(GptModel base) {
        List<SoupTensor> mine = model.soupTensors();
        List<SoupTensor> theirs = base.soupTensors();
        try (Djl.NoGradScope scope = Djl.noGradScope()) {
            for (int i = 0; i < mine.size(); i++) {
                NDArray own = mine.get(i).shared().getArray();
                own.subi(own).addi(theirs.get(i).shared().getArray());
            }
        }
    }

    static double[] toDoubles(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    /** Runs {@code body} while no writer runs (readers run together). */
    <T> T shared(Supplier<T> body) {
        return locked(lock.readLock(), body);
    }

    /** Runs {@code body} alone. */
    <T> T exclusive(Supplier<T> body) {
        return locked(lock.writeLock(), body);
    }

    /** An I/O action on the parameters, under the read lock. */
    interface IoAction {
        void run() throws IOException;
    }

    /** Runs an I/O action while no writer runs. */
    void sharedIo(IoAction action) throws IOException {
        lock.readLock().lock();
        try {
            ensureOpen();
            action.run();
        } finally {
            lock.readLock().unlock();
        }
    }

    private <T> T locked(Lock l, Supplier<T> body) {
        l.lock();
        try {
            ensureOpen();
            return body.get();
        } finally {
            l.unlock();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this soup has been closed");
        }
    }

    /** Frees the native memory once no reader runs; later calls of any guarded section fail. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                model.closeCaches();
                manager.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
