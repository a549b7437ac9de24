/* DEQUANTIZE int8 -> float32: scale * (q - zero_point). The product of a float32 and a
 * 9-bit integer is exact in double, so one float32 multiply rounds exactly as the
 * reference's double product cast to float does. */
#include "mcunet_kernels.h"

int32_t mcunet_dequantize_s8_f32_generic_get_buffer_size(void)
{
    return 0;
}

/* Elements go from last to first: out[i] (bytes 4i..4i+3) only covers inputs >= i, already
 * read, so the output may start where the input starts (InPlace). */
void mcunet_dequantize_s8_f32_generic(const mcunet_affine_params_t *p, const int8_t *in, float *out)
{
    for (int32_t i = p->size - 1; i >= 0; --i) {
        const int32_t q = in[i];
        out[i] = p->scale * (float)(q - p->zero_point);
    }
}
