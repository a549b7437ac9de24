/* QUANTIZE float32 -> int8: TfLiteRound(x / scale) + zero_point, clamped (AffineQuantize).
 * float32 division and round-half-away-from-zero without libm; an out-of-range or NaN
 * quotient gives INT32_MIN before the clamp, as the reference kernel on x86 does. */
#include "mcunet_kernels.h"

int32_t mcunet_quantize_f32_s8_generic_get_buffer_size(void)
{
    return 0;
}

/* out[i] (byte i) never lies past in[i] (bytes 4i..4i+3): the output may start where the
 * input starts (InPlace) when elements go in increasing order. */
void mcunet_quantize_f32_s8_generic(const mcunet_affine_params_t *p, const float *in, int8_t *out)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const float q = in[i] / p->scale;
        int32_t r;
        if (q >= -2147483648.0f && q < 2147483648.0f) {
            r = (int32_t)q; /* truncation toward zero: exact */
            const float frac = q - (float)r;
            if (frac >= 0.5f) {
                r += 1;
            } else if (frac <= -0.5f) {
                r -= 1;
            }
        } else {
            r = INT32_MIN;
        }
        r = mcunet_clamp(r, -1024, 1024) + p->zero_point;
        out[i] = (int8_t)mcunet_clamp(r, -128, 127);
    }
}
