/*
 * Requantization shared by every int8 kernel.
 *
 * Two exact forms of TFLite's MultiplyByQuantizedMultiplier(acc, M, shift) + zero_point:
 *  - mcunet_requant_tflite(): the reference formula (any shift); used by generic kernels.
 *  - mcunet_requant_fast(): one SMMLAR + add + shift (right shifts 1..24, |acc| < 2^30);
 *    derivation and the Python mirror in mcunet_core/engine/requant.py.
 * The DSP path and the plain-C fallback compute the same bits.
 */
#ifndef MCUNET_REQUANT_H
#define MCUNET_REQUANT_H

#include <stdint.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define MCUNET_HAVE_DSP 1
#else
#define MCUNET_HAVE_DSP 0
#endif

/* (c * 2^32 + a * b + 2^31) >> 32 */
static inline int32_t mcunet_smmlar(int32_t a, int32_t b, int32_t c)
{
#if MCUNET_HAVE_DSP
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
    return r;
#else
    int64_t t = (int64_t)c * 4294967296LL + (int64_t)a * b + 2147483648LL;
    return (int32_t)(t >> 32);
#endif
}

/* acc2 = 2 * accumulator; round = 2^(s-1) + zp * 2^s; shift = s. Result before clamping. */
static inline int32_t mcunet_requant_fast(int32_t acc2, int32_t mult, int32_t round, int32_t shift)
{
    return (mcunet_smmlar(acc2, mult, round) + (acc2 >> 31)) >> shift;
}

static inline int32_t mcunet_clamp(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* gemmlowp SaturatingRoundingDoublingHighMul */
static inline int32_t mcunet_srdhm(int32_t a, int32_t b)
{
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    int64_t ab = (int64_t)a * b;
    int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    return (int32_t)((ab + nudge) / (1LL << 31));
}

/* gemmlowp RoundingDivideByPOT: round half away from zero */
static inline int32_t mcunet_rdbpot(int32_t x, int32_t exponent)
{
    int32_t mask = (int32_t)((1LL << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier; the left shift wraps like TFLite's int32 product. */
static inline int32_t mcunet_mbqm(int32_t x, int32_t mult, int32_t shift)
{
    int32_t left = shift > 0 ? shift : 0;
    int32_t right = shift > 0 ? 0 : -shift;
    int32_t shifted = (int32_t)((uint32_t)x << left);
    return mcunet_rdbpot(mcunet_srdhm(shifted, mult), right);
}

static inline int32_t mcunet_requant_tflite(int32_t acc, int32_t mult, int32_t shift, int32_t zero_point)
{
    return mcunet_mbqm(acc, mult, shift) + zero_point;
}

#endif /* MCUNET_REQUANT_H */
