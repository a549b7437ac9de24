/* PAD / PADV2 (any rank): rows of the innermost dim are filled, copied, filled. */
#include "mcunet_kernels.h"

int32_t mcunet_pad_s8_generic_get_buffer_size(void)
{
    return 0;
}

static inline void fill(int8_t *dst, int8_t value, int32_t n)
{
    for (int32_t i = 0; i < n; ++i) {
        dst[i] = value;
    }
}

void mcunet_pad_s8_generic(const mcunet_pad_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t last = p->rank - 1;
    const int8_t v = (int8_t)p->pad_value;
    const int32_t in_n = p->in_dims[last];
    const int32_t pre = p->before[last], post = p->after[last];
    const int32_t out_n = pre + in_n + post;
    int32_t out_dims[MCUNET_MAX_DIMS];
    int32_t in_stride[MCUNET_MAX_DIMS];
    int32_t idx[MCUNET_MAX_DIMS] = {0};
    int32_t rows = 1;
    int32_t stride = in_n;
    for (int32_t d = last - 1; d >= 0; --d) {
        out_dims[d] = p->before[d] + p->in_dims[d] + p->after[d];
        in_stride[d] = stride;
        stride *= p->in_dims[d];
        rows *= out_dims[d];
    }
    for (int32_t r = 0; r < rows; ++r) {
        int8_t *dst = out + r * out_n;
        int32_t src = 0;
        int32_t inside = 1;
        for (int32_t d = 0; d < last; ++d) {
            const int32_t i = idx[d] - p->before[d];
            if (i < 0 || i >= p->in_dims[d]) {
                inside = 0;
                break;
            }
            src += i * in_stride[d];
        }
        if (inside) {
            const int8_t *s = in + src;
            fill(dst, v, pre);
            for (int32_t i = 0; i < in_n; ++i) {
                dst[pre + i] = s[i];
            }
            fill(dst + pre + in_n, v, post);
        } else {
            fill(dst, v, out_n);
        }
        for (int32_t d = last - 1; d >= 0; --d) {
            if (++idx[d] < out_dims[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
}
