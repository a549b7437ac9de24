/* ADD with broadcasting: per-input tables of TFLite's rescaled, doubled values and the
 * one-SMMLAR exact requantization of the sum (bit-identical to mcunet_add_s8_generic). */
#include "mcunet_kernels.h"

int32_t mcunet_add_s8_fast_get_buffer_size(void)
{
    return 0;
}

static inline __attribute__((always_inline)) void add_row(const int8_t *pa, int32_t sa, const int8_t *pb, int32_t sb,
                                                          int8_t *out, int32_t n, const mcunet_binary_fast_params_t *p)
{
    const int32_t *ta = p->a_table + 128;
    const int32_t *tb = p->b_table + 128;
    const int32_t mult = p->mult, round = p->round, shift = p->shift;
    const int32_t lo = p->act_min, hi = p->act_max;
    for (int32_t i = 0; i < n; ++i) {
        const int32_t sum2 = ta[pa[i * sa]] + tb[pb[i * sb]]; /* 2 * (x1 + x2), |.| < 2^30 */
        out[i] = (int8_t)mcunet_clamp(mcunet_requant_fast(sum2, mult, round, shift), lo, hi);
    }
}

/* Same element order as the generic kernel: the output may alias a same-shape input. */
void mcunet_add_s8_fast(const mcunet_binary_fast_params_t *p, const int8_t *a, const int8_t *b, int8_t *out)
{
    const int32_t last = p->rank - 1;
    const int32_t n = p->dims[last];
    const int32_t sa = p->a_stride[last], sb = p->b_stride[last];
    int32_t idx[MCUNET_MAX_DIMS] = {0};
    int32_t ia = 0, ib = 0;
    int32_t rows = 1;
    for (int32_t d = 0; d < last; ++d) {
        rows *= p->dims[d];
    }
    for (int32_t r = 0; r < rows; ++r) {
        /* the inner loop specialized for the strides broadcasting produces most */
        if (sa == 1 && sb == 1) {
            add_row(a + ia, 1, b + ib, 1, out, n, p);
        } else if (sa == 1 && sb == 0) {
            add_row(a + ia, 1, b + ib, 0, out, n, p);
        } else if (sa == 0 && sb == 1) {
            add_row(a + ia, 0, b + ib, 1, out, n, p);
        } else {
            add_row(a + ia, sa, b + ib, sb, out, n, p);
        }
        out += n;
        for (int32_t d = last - 1; d >= 0; --d) {
            ia += p->a_stride[d];
            ib += p->b_stride[d];
            if (++idx[d] < p->dims[d]) {
                break;
            }
            ia -= p->a_stride[d] * p->dims[d];
            ib -= p->b_stride[d] * p->dims[d];
            idx[d] = 0;
        }
    }
}
