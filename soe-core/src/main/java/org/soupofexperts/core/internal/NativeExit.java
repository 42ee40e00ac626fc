package org.soupofexperts.core.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the JVM's exit out of LibTorch while a training run is inside it.
 *
 * <p>When the JVM exits (SIGTERM, Ctrl-C, {@code System.exit} from another thread) it runs
 * LibTorch's static destructors while the training thread goes on; that thread's next backward
 * pass jumps through a destroyed object and the JVM dies with SIGSEGV in {@code
 * at::accelerator::getAccelerator} (exit 134 and a crash log instead of 143). Measured with
 * {@code soe train} at the 3M base: 3 of 6 SIGTERMs crashed (docs/reliability.md).
 *
 * <p>A run holds a shared lock ({@link #enter}) and lets go of it only between steps ({@link
 * Section#yieldToExit}). A shutdown hook, registered on first use, takes the lock exclusively,
 * waiting for the step in flight (at most {@code soupofexperts.exitWaitSeconds}, default 30), and
 * never gives it back: the run's thread then waits at its next step boundary until the process
 * is gone, and nothing of it runs in LibTorch during the exit. Code that does not hold a section
 * (inference, saves) is not held back: its native calls are short, and blocking them could hang
 * another shutdown hook. A step's listener that calls {@code System.exit} itself holds the
 * section, so the exit waits the full bound first. Thread-safe.
 */
public final class NativeExit {

    private static final Logger LOG = LoggerFactory.getLogger(NativeExit.class);
    private static final ReentrantReadWriteLock LOCK = new ReentrantReadWriteLock();
    private static final AtomicBoolean HOOKED = new AtomicBoolean();

    /** System property: seconds the JVM's exit waits for a training step in flight. */
    public static final String WAIT_PROPERTY = "soupofexperts.exitWaitSeconds";

    private NativeExit() {}

    /** Holds the JVM's exit off until the section is closed or yields; sections nest. */
    public static Section enter() {
        if (HOOKED.compareAndSet(false, true)) {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(NativeExit::holdExit, "soupofexperts-exit-guard"));
            } catch (IllegalStateException exiting) {
                // The JVM is already exiting: there is nothing left to hold off.
                HOOKED.set(false);
            }
        }
        LOCK.readLock().lock();
        return new Section();
    }

    private static void holdExit() {
        long seconds = Long.getLong(WAIT_PROPERTY, 30);
        long t0 = System.nanoTime();
        try {
            if (LOCK.writeLock().tryLock(Math.max(0, seconds), TimeUnit.SECONDS)) {
                long ms = (System.nanoTime() - t0) / 1_000_000;
                if (ms > 0) {
                    LOG.info("JVM exit: waited {} ms for the training step in flight; training stops here", ms);
                }
            } else {
                LOG.warn(
                        "JVM exit: a training step is still inside LibTorch after {} s ({}); the process may"
                                + " crash while it exits",
                        seconds,
                        WAIT_PROPERTY);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A held stretch of native work; close it in the thread that entered it. Not thread-safe. */
    public static final class Section implements AutoCloseable {
        private boolean closed;

        private Section() {}

        /**
         * Lets a pending exit through: drops every hold of this thread, then takes them back. Once
         * the JVM is exiting, taking them back waits until the process is gone.
         */
        public void yieldToExit() {
            if (closed) {
                throw new IllegalStateException("this section is closed");
            }
            int holds = LOCK.getReadHoldCount();
            for (int i = 0; i < holds; i++) {
                LOCK.readLock().unlock();
            }
            for (int i = 0; i < holds; i++) {
                LOCK.readLock().lock();
            }
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                LOCK.readLock().unlock();
            }
        }
    }
}
