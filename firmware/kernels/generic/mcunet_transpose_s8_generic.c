/* TRANSPOSE (any permutation, merged to at most MCUNET_MAX_DIMS dims): the output is
 * written in order, the input read at the permuted strides. */
#include "mcunet_kernels.h"

int32_t mcunet_transpose_s8_generic_get_buffer_size(void)
{
    return 0;
}

void mcunet_transpose_s8_generic(const mcunet_transpose_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t last = p->rank - 1;
    const int32_t n = p->dims[last];
    const int32_t s = p->in_stride[last];
    int32_t idx[MCUNET_MAX_DIMS] = {0};
    int32_t rows = 1;
    int32_t off = 0;
    for (int32_t d = 0; d < last; ++d) {
        rows *= p->dims[d];
    }
    for (int32_t r = 0; r < rows; ++r) {
        const int8_t *x = in + off;
        for (int32_t i = 0; i < n; ++i) {
            out[i] = x[i * s];
        }
        out += n;
        for (int32_t d = last - 1; d >= 0; --d) {
            off += p->in_stride[d];
            if (++idx[d] < p->dims[d]) {
                break;
            }
            off -= p->in_stride[d] * p->dims[d];
            idx[d] = 0;
        }
    }
}
