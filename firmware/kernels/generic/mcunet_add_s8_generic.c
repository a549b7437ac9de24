/* ADD with broadcasting, TFLite's int8 reference path (left_shift headroom, three rescales). */
#include "mcunet_kernels.h"

int32_t mcunet_add_s8_generic_get_buffer_size(void)
{
    return 0;
}

static inline int32_t add_rescale(int32_t x, int32_t mult, int32_t shift)
{
    /* MultiplyByQuantizedMultiplierSmallerThanOneExp: shift <= 0 */
    return mcunet_rdbpot(mcunet_srdhm(x, mult), -shift);
}

/* Output elements are produced in increasing order and out[i] is written after its inputs
 * are read, so the output may alias an input of the output's shape (InPlace). */
void mcunet_add_s8_generic(const mcunet_add_params_t *p, const int8_t *a, const int8_t *b, int8_t *out)
{
    mcunet_broadcast_walk_t w;
    mcunet_broadcast_start(&p->shape, &w);
    int32_t o = 0;
    const int32_t n = w.n, sa = w.sa, sb = w.sb;
    for (int32_t r = 0; r < w.rows; ++r) {
        const int8_t *pa = a + w.ia;
        const int8_t *pb = b + w.ib;
        for (int32_t i = 0; i < n; ++i) {
            const int32_t xa = add_rescale((pa[i * sa] + p->a_offset) * (1 << p->left_shift), p->a_mult, p->a_shift);
            const int32_t xb = add_rescale((pb[i * sb] + p->b_offset) * (1 << p->left_shift), p->b_mult, p->b_shift);
            const int32_t sum = (int32_t)((uint32_t)xa + (uint32_t)xb);
            const int32_t y = add_rescale(sum, p->out_mult, p->out_shift) + p->output_zp;
            out[o + i] = (int8_t)mcunet_clamp(y, p->act_min, p->act_max);
        }
        o += n;
        mcunet_broadcast_next(&p->shape, &w);
    }
}
