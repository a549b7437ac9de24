/* CONCATENATION along any axis: raw int8 values (inputs share the output's quantization). */
#include <stdarg.h>

#include "mcunet_kernels.h"

int32_t mcunet_concat_s8_generic_get_buffer_size(void)
{
    return 0;
}

void mcunet_concat_s8_generic(const mcunet_concat_params_t *p, int8_t *out, ...)
{
    int32_t row = 0;
    for (int32_t k = 0; k < p->n_inputs; ++k) {
        row += p->inner[k];
    }
    va_list ap;
    va_start(ap, out);
    int32_t col = 0;
    for (int32_t k = 0; k < p->n_inputs; ++k) {
        const int8_t *src = va_arg(ap, const int8_t *);
        const int32_t n = p->inner[k];
        for (int32_t o = 0; o < p->outer; ++o) {
            int8_t *dst = out + o * row + col;
            const int8_t *s = src + o * n;
            for (int32_t i = 0; i < n; ++i) {
                dst[i] = s[i];
            }
        }
        col += n;
    }
    va_end(ap);
}
