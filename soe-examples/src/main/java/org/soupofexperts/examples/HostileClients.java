package org.soupofexperts.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Attackers for a load run against an HTTP endpoint, each on its own thread until closed: idle
 * connections held open, slowloris clients trickling their headers, oversized bodies (declared
 * and chunked), deeply nested JSON, random bytes. Counts what the server answered to each kind
 * (status code, "closed" for a connection closed without an answer). Thread-safe.
 */
final class HostileClients implements AutoCloseable {

    private final String host;
    private final int port;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final List<Socket> held = new ArrayList<>();
    private final Map<String, Map<String, AtomicLong>> outcomes = new ConcurrentHashMap<>();

    HostileClients(String host, int port) {
        this.host = host;
        this.port = port;
    }

    /** Starts every kind of attacker: {@code idle} held connections and {@code slow} slowloris clients. */
    HostileClients start(int idle, int slow, long seed) {
        for (int i = 0; i < idle; i++) {
            try {
                Socket s = new Socket(host, port);
                synchronized (held) {
                    held.add(s);
                }
                count("idle connection", "opened");
            } catch (IOException e) {
                count("idle connection", "refused");
            }
        }
        for (int i = 0; i < slow; i++) {
            spawn("slowloris-" + i, this::slowloris);
        }
        byte[] deep = ("{\"documents\": " + "[".repeat(500_000)).getBytes(StandardCharsets.US_ASCII);
        byte[] big = ("{\"documents\": [\"" + "x".repeat(8 << 20) + "\"]}").getBytes(StandardCharsets.US_ASCII);
        spawn("oversized-declared", () -> repeat("oversized body, declared", () -> request(body(big, false))));
        spawn("oversized-chunked", () -> repeat("oversized body, chunked", () -> request(body(big, true))));
        spawn(
                "deep-json",
                () -> repeat(
                        "deep JSON (500,000 levels) from 127.0.0.5", () -> request(body(deep, false), "127.0.0.5")));
        // Valid and expensive: as many tokens as a request may score, back to back, each client from
        // its own loopback address (the server's shares are per address). Before the work bound,
        // two such clients with 1 MiB bodies took legitimate p50 from 17-36 ms to 4.2 s.
        String text = "the quick brown fox jumps over the lazy dog. ".repeat(360); // about 16,200 tokens
        byte[] expensive = ("{\"documents\": [\"" + text + "\"]}").getBytes(StandardCharsets.US_ASCII);
        for (String from : List.of("127.0.0.2", "127.0.0.3")) {
            spawn(
                    "expensive-" + from,
                    () -> repeat(
                            "valid, expensive (16,200 tokens) from " + from,
                            () -> request(body(expensive, false), from)));
        }
        byte[] oneMib = ("{\"documents\": [\"" + text.repeat(60) + "\"]}").getBytes(StandardCharsets.US_ASCII);
        spawn(
                "over-budget",
                () -> repeat(
                        "valid, over the token budget (1 MiB) from 127.0.0.4",
                        () -> request(body(oneMib, false), "127.0.0.4")));
        SplittableRandom rng = new SplittableRandom(seed);
        spawn(
                "garbage",
                () -> repeat("random bytes", () -> {
                    byte[] junk = new byte[1 + rng.nextInt(4096)];
                    rng.nextBytes(junk);
                    return request(junk);
                }));
        return this;
    }

    /** Outcome counts per attack kind, sorted. */
    Map<String, Map<String, Long>> outcomes() {
        Map<String, Map<String, Long>> out = new TreeMap<>();
        outcomes.forEach((kind, m) -> {
            Map<String, Long> c = new TreeMap<>();
            m.forEach((k, v) -> c.put(k, v.get()));
            out.put(kind, c);
        });
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        synchronized (held) {
            for (Socket s : held) {
                try {
                    s.close();
                } catch (IOException e) {
                    // already gone
                }
            }
        }
        for (Thread t : threads) {
            t.interrupt();
            t.join(30_000);
        }
    }

    private void spawn(String name, Runnable r) {
        Thread t = new Thread(r, "hostile-" + name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    private interface Attack {
        String run() throws IOException;
    }

    private void repeat(String kind, Attack a) {
        while (running.get()) {
            try {
                count(kind, a.run());
            } catch (IOException e) {
                count(kind, "closed");
            }
        }
    }

    /**
     * Headers that never end: a request line, then one new header line after another, sent a
     * byte every 200 ms, reconnecting whenever the server hangs up.
     */
    private void slowloris() {
        String kind = "slowloris (1 header byte / 200 ms, never ending)";
        while (running.get()) {
            try (Socket s = new Socket(host, port)) {
                count(kind, "connected");
                OutputStream out = s.getOutputStream();
                byte[] start = "POST /loss HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII);
                out.write(start);
                for (long i = 0; running.get(); i++) {
                    for (byte b : ("X-Pad-" + i + ": a\r\n").getBytes(StandardCharsets.US_ASCII)) {
                        out.write(b);
                        out.flush();
                        Thread.sleep(200);
                        if (!running.get()) {
                            return;
                        }
                    }
                }
            } catch (IOException e) {
                count(kind, "closed by server");
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** The raw bytes of a POST /loss request carrying {@code content}, chunked or with its length. */
    static byte[] body(byte[] content, boolean chunked) {
        String head = "POST /loss HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + (chunked
                        ? "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(content.length) + "\r\n"
                        : "Content-Length: " + content.length + "\r\n\r\n");
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] tail = chunked ? "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII) : new byte[0];
        byte[] all = new byte[h.length + content.length + tail.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(content, 0, all, h.length, content.length);
        System.arraycopy(tail, 0, all, h.length + content.length, tail.length);
        return all;
    }

    /** Sends raw bytes on a new connection; returns the status code of the answer, or "closed". */
    private String request(byte[] raw) throws IOException {
        return request(raw, null);
    }

    /** As {@link #request(byte[])}, from the local address {@code from} (null: any). */
    private String request(byte[] raw, String from) throws IOException {
        return send(host, port, raw, from);
    }

    /**
     * Sends raw bytes on a new connection to {@code host:port} from the local address {@code from}
     * (null: any); the status code of the answer, or "closed".
     */
    static String send(String host, int port, byte[] raw, String from) throws IOException {
        try (Socket s = new Socket()) {
            if (from != null) {
                s.bind(new InetSocketAddress(from, 0));
            }
            s.connect(new InetSocketAddress(host, port), 10_000);
            s.setSoTimeout(60_000);
            try {
                OutputStream out = s.getOutputStream();
                out.write(raw);
                out.flush();
            } catch (IOException e) {
                // The server may answer and close before the whole body is sent: read what it said.
            }
            InputStream in = s.getInputStream();
            byte[] status = new byte[12];
            int n = 0;
            int r;
            while (n < status.length && (r = in.read(status, n, status.length - n)) > 0) {
                n += r;
            }
            String line = new String(status, 0, n, StandardCharsets.US_ASCII);
            return line.startsWith("HTTP/1.1 ") && n == 12 ? line.substring(9, 12) : "closed";
        }
    }

    private void count(String kind, String outcome) {
        outcomes.computeIfAbsent(kind, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(outcome, k -> new AtomicLong())
                .incrementAndGet();
    }
}
