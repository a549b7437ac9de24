/* int8 -> int8 through a 256-entry table built at generation time by the quantization
 * module (LOGISTIC, HARD_SWISH, int8 requantization). Elementwise: may run in place. */
#include "mcunet_kernels.h"

int32_t mcunet_lut_s8_generic_get_buffer_size(void)
{
    return 0;
}

void mcunet_lut_s8_generic(const int8_t *lut, const int8_t *in, int8_t *out, int32_t size)
{
    const int8_t *table = lut + 128;
    for (int32_t i = 0; i < size; ++i) {
        out[i] = table[in[i]];
    }
}
