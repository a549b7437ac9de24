/* TFLite's reference FULLY_CONNECTED rescale, round(double(acc) * scale), in integers.
 *
 * scale = mant * 2^exp with a 53-bit mant: exactly the double the reference multiplies by
 * (split offline by mcunet_core/engine/kernels/generic/fully_connected.py). The product
 * |acc| * mant is exact in 85 bits; it is rounded to 53 significant bits half to even, as
 * the double multiply does, then to an integer half away from zero, as round() does. No
 * floating point, so cores without a double-precision FPU need no soft-float library. */
#include "mcunet_kernels.h"

int32_t mcunet_rescale_double_round(int32_t acc, uint64_t mant, int32_t exp)
{
    if (acc == 0 || mant == 0) {
        return 0;
    }
    const uint64_t a = acc < 0 ? (uint64_t)(-(int64_t)acc) : (uint64_t)acc;
    /* x = x_hi * 2^64 + x_lo = a * mant exactly (a <= 2^31, mant < 2^53: x < 2^85) */
    const uint64_t p_hi = a * (mant >> 32);         /* < 2^53 */
    const uint64_t p_lo = a * (mant & 0xFFFFFFFFu); /* < 2^63 */
    const uint64_t x_lo = p_lo + (p_hi << 32);
    const uint64_t x_hi = (p_hi >> 32) + (x_lo < p_lo ? 1u : 0u);
    /* the double product: x rounded to 53 significant bits (half to even) = q * 2^r */
    int32_t bits = 0;
    for (uint64_t t = x_hi ? x_hi : x_lo; t; t >>= 1) {
        ++bits;
    }
    const int32_t r = (x_hi ? bits + 64 : bits) > 53 ? (x_hi ? bits + 64 : bits) - 53 : 0; /* 0..32 */
    uint64_t q = x_lo;
    if (r > 0) {
        const uint64_t rest = x_lo & ((1ULL << r) - 1); /* r <= 32 < 64 */
        const uint64_t half = 1ULL << (r - 1);
        q = (x_lo >> r) | (x_hi << (64 - r));
        if (rest > half || (rest == half && (q & 1u))) {
            q += 1; /* may reach 2^53: still exact */
        }
    }
    /* round(q * 2^k) half away from zero, then the sign */
    const int32_t k = r + exp;
    uint64_t v;
    if (k >= 0) {
        if (k > 31 || (q >> (31 - k)) != 0) {
            return INT32_MIN; /* out of int32 range: what the reference's conversion gives */
        }
        v = q << k;
    } else if (k < -62) {
        v = 0;
    } else {
        v = (q + (1ULL << (-k - 1))) >> (-k);
    }
    if (v >= 0x80000000ULL) {
        return INT32_MIN;
    }
    return acc < 0 ? -(int32_t)v : (int32_t)v;
}
