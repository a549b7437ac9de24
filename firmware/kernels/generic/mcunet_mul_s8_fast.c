/* MUL with broadcasting and the one-SMMLAR exact requantization (bit-identical to
 * mcunet_mul_s8_generic where the output right shift is 1..24). */
#include "mcunet_kernels.h"

int32_t mcunet_mul_s8_fast_get_buffer_size(void)
{
    return 0;
}

static inline __attribute__((always_inline)) void mul_row(const int8_t *pa, int32_t sa, const int8_t *pb, int32_t sb,
                                                          int8_t *out, int32_t n, const mcunet_binary_fast_params_t *p)
{
    const int32_t oa = p->a_offset, ob = p->b_offset;
    const int32_t mult = p->mult, round = p->round, shift = p->shift;
    const int32_t lo = p->act_min, hi = p->act_max;
    for (int32_t i = 0; i < n; ++i) {
        const int32_t prod2 = 2 * (pa[i * sa] + oa) * (pb[i * sb] + ob); /* |.| <= 2 * 255^2 */
        out[i] = (int8_t)mcunet_clamp(mcunet_requant_fast(prod2, mult, round, shift), lo, hi);
    }
}

/* Same element order as the generic kernel: the output may alias a same-shape input. */
void mcunet_mul_s8_fast(const mcunet_binary_fast_params_t *p, const int8_t *a, const int8_t *b, int8_t *out)
{
    mcunet_broadcast_walk_t w;
    mcunet_broadcast_start(&p->shape, &w);
    const int32_t n = w.n, sa = w.sa, sb = w.sb;
    for (int32_t r = 0; r < w.rows; ++r) {
        if (sa == 1 && sb == 1) {
            mul_row(a + w.ia, 1, b + w.ib, 1, out, n, p);
        } else if (sa == 1 && sb == 0) {
            mul_row(a + w.ia, 1, b + w.ib, 0, out, n, p);
        } else if (sa == 0 && sb == 1) {
            mul_row(a + w.ia, 0, b + w.ib, 1, out, n, p);
        } else {
            mul_row(a + w.ia, sa, b + w.ib, sb, out, n, p);
        }
        out += n;
        mcunet_broadcast_next(&p->shape, &w);
    }
}
