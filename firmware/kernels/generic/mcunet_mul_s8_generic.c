/* MUL with broadcasting, TFLite's int8 reference path. */
#include "mcunet_kernels.h"

int32_t mcunet_mul_s8_generic_get_buffer_size(void)
{
    return 0;
}

/* Same element order as ADD: the output may alias an input of the output's shape. */
void mcunet_mul_s8_generic(const mcunet_mul_params_t *p, const int8_t *a, const int8_t *b, int8_t *out)
{
    mcunet_broadcast_walk_t w;
    mcunet_broadcast_start(&p->shape, &w);
    int32_t o = 0;
    const int32_t n = w.n, sa = w.sa, sb = w.sb;
    for (int32_t r = 0; r < w.rows; ++r) {
        const int8_t *pa = a + w.ia;
        const int8_t *pb = b + w.ib;
        for (int32_t i = 0; i < n; ++i) {
            const int32_t prod = (pa[i * sa] + p->a_offset) * (pb[i * sb] + p->b_offset);
            const int32_t y = mcunet_mbqm(prod, p->mult, p->shift) + p->output_zp;
            out[o + i] = (int8_t)mcunet_clamp(y, p->act_min, p->act_max);
        }
        o += n;
        mcunet_broadcast_next(&p->shape, &w);
    }
}
