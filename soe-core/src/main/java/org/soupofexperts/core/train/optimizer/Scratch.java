package org.soupofexperts.core.train.optimizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * A tile's worth of scratch for the bfloat16 conversions. Float bits are moved between int[]
 * and float[] through int and float views of one heap buffer (two bulk copies) rather than
 * by {@code Float.intBitsToFloat} per element, which C2 on Java 17 does not vectorise.
 */
final class Scratch {
    final short[] shorts = new short[FusedAdamKernel.TILE];
    final int[] ints = new int[FusedAdamKernel.TILE];
    private final ByteBuffer bytes =
            ByteBuffer.allocate(4 * FusedAdamKernel.TILE).order(ByteOrder.nativeOrder());
    final IntBuffer asInts = bytes.asIntBuffer();
    final FloatBuffer asFloats = bytes.asFloatBuffer();
}
