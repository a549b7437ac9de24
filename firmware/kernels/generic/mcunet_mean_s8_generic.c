/* MEAN over any set of axes, TFLite's reference QuantizedMeanOrSum (int32 sum, zero-point
 * correction, 1/count folded into the multiplier). */
#include "mcunet_kernels.h"

int32_t mcunet_mean_s8_generic_get_buffer_size(void)
{
    return 0;
}

static uint32_t sum_inner(const mcunet_mean_params_t *p, const int8_t *base)
{
    const int32_t last = p->inner_rank - 1;
    const int32_t n = p->inner_dims[last];
    const int32_t s = p->inner_stride[last];
    int32_t idx[MCUNET_MAX_DIMS] = {0};
    int32_t rows = 1;
    int32_t off = 0;
    uint32_t acc = 0; /* int32 accumulation, wrapping as TFLite's does */
    for (int32_t d = 0; d < last; ++d) {
        rows *= p->inner_dims[d];
    }
    for (int32_t r = 0; r < rows; ++r) {
        const int8_t *x = base + off;
        for (int32_t i = 0; i < n; ++i) {
            acc += (uint32_t)(int32_t)x[i * s];
        }
        for (int32_t d = last - 1; d >= 0; --d) {
            off += p->inner_stride[d];
            if (++idx[d] < p->inner_dims[d]) {
                break;
            }
            off -= p->inner_stride[d] * p->inner_dims[d];
            idx[d] = 0;
        }
    }
    return acc;
}

void mcunet_mean_s8_generic(const mcunet_mean_params_t *p, const int8_t *in, int8_t *out)
{
    int32_t idx[MCUNET_MAX_DIMS] = {0};
    int32_t total = 1;
    int32_t off = 0;
    for (int32_t d = 0; d < p->outer_rank; ++d) {
        total *= p->outer_dims[d];
    }
    for (int32_t o = 0; o < total; ++o) {
        const int32_t sum = (int32_t)(sum_inner(p, in + off) + (uint32_t)p->sum_offset);
        const int32_t y = mcunet_mbqm(sum, p->mult, p->shift) + p->output_zp;
        out[o] = (int8_t)mcunet_clamp(y, -128, 127);
        for (int32_t d = p->outer_rank - 1; d >= 0; --d) {
            off += p->outer_stride[d];
            if (++idx[d] < p->outer_dims[d]) {
                break;
            }
            off -= p->outer_stride[d] * p->outer_dims[d];
            idx[d] = 0;
        }
    }
}
