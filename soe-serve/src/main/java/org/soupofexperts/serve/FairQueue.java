package org.soupofexperts.serve;

import java.util.AbstractQueue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The workers' queue, served round-robin across clients: each client's requests wait in their own
 * line, and a free worker takes the first request of the next client in turn. A client that keeps
 * its share of the queue full then delays another client's request by at most one request per
 * other waiting client, not by everything it queued. Bounded: {@link #offer} refuses beyond the
 * capacity (the executor then answers 503). Thread-safe (one lock).
 */
final class FairQueue extends AbstractQueue<Runnable> implements BlockingQueue<Runnable> {

    /** A task and the client it is for; tasks of any other type share one anonymous line. */
    record ClientTask(String client, Runnable task) implements Runnable {
        @Override
        public void run() {
            task.run();
        }
    }

    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Map<String, ArrayDeque<Runnable>> lines = new HashMap<>();
    /** Clients with waiting tasks, in the order they are served next. */
    private final ArrayDeque<String> turn = new ArrayDeque<>();

    private int count;

    FairQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    private static String clientOf(Runnable r) {
        return r instanceof ClientTask t ? t.client() : "";
    }

    @Override
    public boolean offer(Runnable r) {
        if (r == null) {
            throw new NullPointerException("task");
        }
        lock.lock();
        try {
            if (count >= capacity) {
                return false;
            }
            String c = clientOf(r);
            ArrayDeque<Runnable> line = lines.computeIfAbsent(c, k -> new ArrayDeque<>());
            if (line.isEmpty()) {
                turn.addLast(c);
            }
            line.addLast(r);
            count++;
            notEmpty.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The next task in turn; the caller holds the lock and the queue is not empty. */
    private Runnable next() {
        String c = turn.pollFirst();
        ArrayDeque<Runnable> line = lines.get(c);
        Runnable r = line.pollFirst();
        if (line.isEmpty()) {
            lines.remove(c);
        } else {
            turn.addLast(c);
        }
        count--;
        return r;
    }

    @Override
    public Runnable poll() {
        lock.lock();
        try {
            return count == 0 ? null : next();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Runnable poll(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lockInterruptibly();
        try {
            while (count == 0) {
                if (nanos <= 0) {
                    return null;
                }
                nanos = notEmpty.awaitNanos(nanos);
            }
            return next();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Runnable take() throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (count == 0) {
                notEmpty.await();
            }
            return next();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Runnable peek() {
        lock.lock();
        try {
            return count == 0 ? null : lines.get(turn.peekFirst()).peekFirst();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void put(Runnable r) throws InterruptedException {
        if (!offer(r)) {
            throw new IllegalStateException("the queue is full (" + capacity + ")");
        }
    }

    @Override
    public boolean offer(Runnable r, long timeout, TimeUnit unit) {
        return offer(r);
    }

    @Override
    public int remainingCapacity() {
        lock.lock();
        try {
            return capacity - count;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int drainTo(Collection<? super Runnable> c) {
        return drainTo(c, Integer.MAX_VALUE);
    }

    @Override
    public int drainTo(Collection<? super Runnable> c, int max) {
        lock.lock();
        try {
            int n = 0;
            while (count > 0 && n < max) {
                c.add(next());
                n++;
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean remove(Object o) {
        lock.lock();
        try {
            for (Map.Entry<String, ArrayDeque<Runnable>> e : lines.entrySet()) {
                if (e.getValue().remove(o)) {
                    count--;
                    if (e.getValue().isEmpty()) {
                        turn.remove(e.getKey());
                        lines.remove(e.getKey());
                    }
                    return true;
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int size() {
        lock.lock();
        try {
            return count;
        } finally {
            lock.unlock();
        }
    }

    /** A snapshot, in the order the tasks would be served. */
    @Override
    public Iterator<Runnable> iterator() {
        lock.lock();
        try {
            List<Runnable> all = new ArrayList<>(count);
            Map<String, Iterator<Runnable>> its = new HashMap<>();
            lines.forEach((c, line) -> its.put(c, line.iterator()));
            ArrayDeque<String> order = new ArrayDeque<>(turn);
            while (!order.isEmpty()) {
                String c = order.pollFirst();
                Iterator<Runnable> it = its.get(c);
                all.add(it.next());
                if (it.hasNext()) {
                    order.addLast(c);
                }
            }
            return all.iterator();
        } finally {
            lock.unlock();
        }
    }
}
