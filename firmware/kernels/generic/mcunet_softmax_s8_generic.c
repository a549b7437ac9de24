/* SOFTMAX int8 -> int8 (output scale 1/256, zero point -128) over the last axis, TFLite's
 * reference fixed-point path. exp(diff) depends only on d = max - x, so it is tabulated at
 * generation time (mcunet_core/quant/gemmlowp.py computes it); the sum, gemmlowp's
 * reciprocal and the final rescale run here exactly as mcunet_core/quant/nonlinear.py. */
#include "mcunet_kernels.h"

int32_t mcunet_softmax_s8_generic_get_buffer_size(void)
{
    return 0;
}

static inline int32_t wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent> for exponent > 0 */
static inline int32_t srmpot_left(int32_t x, int32_t exponent)
{
    const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* RoundingDivideByPOT on the int32 value with 64-bit masks (exponent up to 35 here). */
static inline int32_t rdbpot_wide(int32_t x, int32_t exponent)
{
    const int64_t v = x;
    const int64_t mask = ((int64_t)1 << exponent) - 1;
    const int64_t remainder = v & mask;
    const int64_t threshold = (mask >> 1) + (v < 0 ? 1 : 0);
    return (int32_t)((v >> exponent) + (remainder > threshold ? 1 : 0));
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1: Q0.31 in, Q0.31 out (Newton-Raphson). */
static int32_t one_over_one_plus_x(int32_t a)
{
    const int64_t s = (int64_t)a + INT32_MAX;
    const int32_t half_denominator = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
    const int32_t constant_48_over_17 = 1515870810;
    const int32_t constant_neg_32_over_17 = -1010580540;
    int32_t x = wrap_add(constant_48_over_17, mcunet_srdhm(half_denominator, constant_neg_32_over_17));
    for (int i = 0; i < 3; ++i) {
        const int32_t half_denominator_times_x = mcunet_srdhm(half_denominator, x);
        const int32_t one_minus = (int32_t)((uint32_t)(1 << 29) - (uint32_t)half_denominator_times_x);
        x = wrap_add(x, srmpot_left(mcunet_srdhm(x, one_minus), 2));
    }
    return srmpot_left(x, 1);
}

void mcunet_softmax_s8_generic(const mcunet_softmax_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t n = p->depth;
    const int32_t *table = p->exp_table;
    for (int32_t r = 0; r < p->rows; ++r) {
        const int8_t *x = in + r * n;
        int8_t *y = out + r * n;
        int32_t max = -128;
        for (int32_t i = 0; i < n; ++i) {
            max = x[i] > max ? x[i] : max;
        }
        uint32_t sum = 0;
        for (int32_t i = 0; i < n; ++i) {
            const int32_t d = max - x[i];
            if (d < p->table_len) {
                sum += (uint32_t)mcunet_rdbpot(table[d], 12); /* Rescale<12> of the Q0.31 exp */
            }
        }
        /* GetReciprocal(sum, 12) */
        const int32_t headroom = sum ? __builtin_clz(sum) : 32;
        const int32_t num_bits_over_unit = 12 - headroom;
        const uint32_t shifted = headroom < 32 ? sum << headroom : 0u;
        const int32_t shifted_scale = one_over_one_plus_x((int32_t)(shifted - 0x80000000u));
        const int32_t exponent = num_bits_over_unit + 31 - 8;
        /* second pass reads x[i] before writing y[i]: the output may alias the input */
        for (int32_t i = 0; i < n; ++i) {
            const int32_t d = max - x[i];
            int32_t v = -128;
            if (d < p->table_len) {
                v = mcunet_clamp(rdbpot_wide(mcunet_srdhm(shifted_scale, table[d]), exponent) - 128, -128, 127);
            }
            y[i] = (int8_t)v;
        }
    }
}
