package org.soupofexperts.core.internal;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One place that starts the engine the way this library needs it.
 *
 * <p>The library sets no JVM-wide property: whether DJL may download LibTorch
 * ({@code ai.djl.offline}) is the application's choice, and the natives come from the
 * application's dependencies ({@code pytorch-native-cpu} or a CUDA build). Thread-safe.
 */
public final class Djl {

    private static final Logger LOG = LoggerFactory.getLogger(Djl.class);
    private static volatile Engine engine;
    private static final ReentrantLock GRADIENTS = new ReentrantLock();

    private Djl() {}

    /** Returns the PyTorch engine, starting it (offline) on first use. */
    public static Engine engine() {
        Engine e = engine;
        if (e == null) {
            synchronized (Djl.class) {
                e = engine;
                if (e == null) {
                    try {
                        e = Engine.getEngine("PyTorch");
                    } catch (RuntimeException | UnsatisfiedLinkError failure) {
                        throw new IllegalStateException(
                                "LibTorch did not start (" + failure.getMessage() + "). Add its"
                                        + " natives to the application: ai.djl.pytorch:pytorch-native-cpu:2.7.1 with classifier"
                                        + " linux-x86_64 (or osx-aarch64, win-x86_64, or a CUDA build such as pytorch-native-cu128),"
                                        + " and ai.djl.pytorch:pytorch-jni:2.7.1-0.35.1; set -Dai.djl.offline=true so DJL never"
                                        + " downloads them (docs/adopting.md)",
                                failure);
                    }
                    LOG.info(
                            "engine {} {} on {} (offline={})",
                            e.getEngineName(),
                            e.getVersion(),
                            e.defaultDevice(),
                            System.getProperty("ai.djl.offline"));
                    engine = e;
                }
            }
        }
        return e;
    }

    /**
     * A new manager on {@code device} (null: the engine's default device, the first GPU of a CUDA
     * build, else the CPU), after checking that the engine has that device: a GPU index beyond
     * the engine's GPU count would otherwise fail at the first allocation, far from the cause.
     */
    public static NDManager newManager(Device device) {
        Engine e = engine();
        Device d = device == null ? e.defaultDevice() : device;
        if (d.isGpu() && d.getDeviceId() >= e.getGpuCount()) {
            throw new IllegalArgumentException("device " + d + " is not available: the engine (" + e.getEngineName()
                    + " "
                    + e.getVersion() + ") sees " + e.getGpuCount() + " GPU(s); a GPU needs a CUDA build of LibTorch"
                    + " (docs/cuda.md)");
        }
        return e.newBaseManager(d);
    }

    /**
     * Switches autograd recording off for the current thread until closed. LibTorch's grad mode
     * is thread-local and on by default in threads the engine did not start in, so inference
     * paths (instantiate, evaluation) must turn it off themselves or they build a graph.
     */
    public static NoGrad noGrad() {
        engine();
        return new NoGrad();
    }

    /** Sets a parameter's gradient to exactly zero (also when it holds NaN, which 0 * g would keep). */
    public static void zeroGradient(NDArray weight) {
        JniUtils.zeroGrad((PtNDArray) weight);
    }

    /**
     * A copy of {@code a} in memory that LibTorch allocated, and {@code a} closed. Arrays made
     * from Java buffers live in memory whose alignment changes from one launch to the next, and
     * LibTorch's CPU kernels (MKL's matrix products) round differently on differently aligned
     * data: one of four launches of the same 200-step run ended with other parameters until the
     * weights and inputs made from Java were copied like this.
     */
    public static NDArray engineOwned(NDArray a) {
        NDArray c = a.duplicate();
        a.close();
        return c;
    }

    /**
     * A scalar constant for arithmetic with {@code like}: a 0-d array of like's type, on its
     * device, in memory that LibTorch allocated, owned by like's manager. Use it instead of DJL's
     * {@code mul(Number)}, {@code add(Number)} and the like: those wrap the number in an array
     * over a Java buffer and close it right after the call, but an autograd graph keeps that
     * array for the backward pass (the product's gradient is the gradient times the scalar).
     * Once the garbage collector frees the buffer, the backward pass reads whatever the memory
     * holds by then: one training launch in about ten got other gradients, with the same loss,
     * than the others (docs/reliability.md, "Replay across launches").
     */
    public static NDArray scalar(NDArray like, double value) {
        NDArray s = engineOwned(like.getManager().create((float) value));
        return like.getDataType() == DataType.FLOAT32 ? s : s.toType(like.getDataType(), false);
    }

    /** Doubles to floats, for creating float32 arrays from Java-side vectors such as h. */
    public static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    /** Scope object returned by {@link #noGrad()}; restores the previous grad mode. */
    public static final class NoGrad implements AutoCloseable {
        private final boolean previous;

        private NoGrad() {
            previous = JniUtils.isGradMode();
            JniUtils.setGradMode(false);
        }

        @Override
        public void close() {
            JniUtils.setGradMode(previous);
        }
    }

    /**
     * Autograd off and a fresh {@link NDScope} until closed: every array made inside is freed at
     * the end unless {@link NDScope#unregister}ed. The one helper for "run without gradients,
     * keep no temporaries".
     */
    public static NoGradScope noGradScope() {
        engine();
        return new NoGradScope();
    }

    /**
     * The lock every user of a gradient collector holds while it records: DJL allows one collector
     * per JVM, so training runs and gradient computations queue here instead of failing midway.
     */
    public static ReentrantLock gradientLock() {
        return GRADIENTS;
    }

    /**
     * A fresh {@link NDScope} until closed, grad mode as it is (a training step's temporaries):
     * every array made inside is freed at the end unless {@link NDScope#unregister}ed. The one
     * helper for "keep no temporaries", instead of DJL's {@code new NDScope()} with its
     * {@code suppressNotUsedWarning()}.
     */
    public static Scope scope() {
        engine();
        return new Scope();
    }

    /** Scope object returned by {@link #scope()}. */
    public static final class Scope implements AutoCloseable {
        private final NDScope scope = new NDScope();

        private Scope() {}

        @Override
        public void close() {
            scope.close();
        }
    }

    /** Scope object returned by {@link #noGradScope()}. */
    public static final class NoGradScope implements AutoCloseable {
        private final NoGrad noGrad = new NoGrad();
        private final NDScope scope = new NDScope();

        private NoGradScope() {}

        @Override
        public void close() {
            try {
                scope.close();
            } finally {
                noGrad.close();
            }
        }
    }
}
