package org.soupofexperts.core.io;

import java.nio.ByteBuffer;

/**
 * How tensor values are stored in an exported file (safetensors' {@code dtype}): float32, IEEE
 * half or bfloat16, rounded to nearest with ties to even. Immutable and thread-safe.
 */
public enum Dtype {
    F32(4),
    F16(2),
    BF16(2);

    private final int bytes;

    Dtype(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per value. */
    public int bytes() {
        return bytes;
    }

    /** Writes {@code v} at the buffer's position in this type (the buffer's byte order). */
    public void put(ByteBuffer b, float v) {
        switch (this) {
            case F32 -> b.putFloat(v);
            case F16 -> b.putShort(toHalf(v));
            default -> b.putShort(toBfloat16(v));
        }
    }

    /** Reads one value of this type at the buffer's position. */
    public float get(ByteBuffer b) {
        return switch (this) {
            case F32 -> b.getFloat();
            case F16 -> fromHalf(b.getShort());
            default -> fromBfloat16(b.getShort());
        };
    }

    /** IEEE half precision, rounded to nearest with ties to even; overflow gives infinity. */
    public static short toHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            // A half subnormal: the 24-bit significand shifted to units of 2^-24.
            int m = mant | 0x800000;
            int shift = 14 - e;
            int half = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rem > halfway || (rem == halfway && (half & 1) == 1)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) {
            half++; // a carry into the exponent is the right result, up to infinity
        }
        return (short) (sign | half);
    }

    /** The float value of an IEEE half. */
    public static float fromHalf(short h) {
        int sign = (h & 0x8000) << 16;
        int e = (h >>> 10) & 0x1f;
        int m = h & 0x3ff;
        if (e == 0) {
            float v = m * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (e == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (m << 13));
        }
        return Float.intBitsToFloat(sign | ((e - 15 + 127) << 23) | (m << 13));
    }

    /** bfloat16 (the upper half of a float32), rounded to nearest with ties to even. */
    public static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40); // NaN stays NaN
        }
        bits += 0x7fff + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }

    /** The float value of a bfloat16. */
    public static float fromBfloat16(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }
}
