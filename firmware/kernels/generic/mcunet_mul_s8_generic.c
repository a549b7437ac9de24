/* MUL with broadcasting, TFLite's int8 reference path. */
#include "mcunet_kernels.h"

int32_t mcunet_mul_s8_generic_get_buffer_size(void)
{
    return 0;
}

/* Same element order as ADD: the output may alias an input of the output's shape. */
void mcunet_mul_s8_generic(const mcunet_mul_params_t *p, const int8_t *a, const int8_t *b, int8_t *out)
{
    const int32_t last = p->rank - 1;
    const int32_t n = p->dims[last];
    const int32_t sa = p->a_stride[last], sb = p->b_stride[last];
    int32_t idx[MCUNET_MAX_DIMS] = {0};
    int32_t ia = 0, ib = 0, o = 0;
    int32_t rows = 1;
    for (int32_t d = 0; d < last; ++d) {
        rows *= p->dims[d];
    }
    for (int32_t r = 0; r < rows; ++r) {
        const int8_t *pa = a + ia;
        const int8_t *pb = b + ib;
        for (int32_t i = 0; i < n; ++i) {
            const int32_t prod = (pa[i * sa] + p->a_offset) * (pb[i * sb] + p->b_offset);
            const int32_t y = mcunet_mbqm(prod, p->mult, p->shift) + p->output_zp;
            out[o + i] = (int8_t)mcunet_clamp(y, p->act_min, p->act_max);
        }
        o += n;
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
