/* Fully connected with SMLAD dot products (int8 weights, zero weight zero point).
 *
 * The input offset is folded into the bias offline (SmladFullyConnected._bias), so the
 * loop is a plain int8 dot product: four pairs per two SXTB16 pairs and two SMLAD. Sums wrap
 * modulo 2^32 exactly like the reference's int32 accumulator. The rescale is TFLite's
 * reference double-precision one, as in the generic kernel. */
#include <string.h>

#include "mcunet_kernels.h"

int32_t mcunet_fc_s8_smlad_get_buffer_size(void)
{
    return 0;
}

static int32_t dot_s8(const int8_t *x, const int8_t *w, int32_t n)
{
    uint32_t acc = 0;
    int32_t k = 0;
#if MCUNET_HAVE_DSP
    for (; k + 4 <= n; k += 4) {
        uint32_t xv, wv;
        __builtin_memcpy(&xv, x + k, 4);
        __builtin_memcpy(&wv, w + k, 4);
        uint32_t x02, x13, w02, w13;
        __asm__("sxtb16 %0, %1" : "=r"(x02) : "r"(xv));
        __asm__("sxtb16 %0, %1, ror #8" : "=r"(x13) : "r"(xv));
        __asm__("sxtb16 %0, %1" : "=r"(w02) : "r"(wv));
        __asm__("sxtb16 %0, %1, ror #8" : "=r"(w13) : "r"(wv));
        __asm__("smlad %0, %1, %2, %0" : "+r"(acc) : "r"(x02), "r"(w02));
        __asm__("smlad %0, %1, %2, %0" : "+r"(acc) : "r"(x13), "r"(w13));
    }
#endif
    for (; k < n; ++k) {
        acc += (uint32_t)((int32_t)x[k] * (int32_t)w[k]);
    }
    return (int32_t)acc;
}

void mcunet_fc_s8_smlad(const mcunet_fc_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t r = 0; r < p->rows; ++r) {
        const int8_t *x = in + r * p->in_features;
        for (int32_t o = 0; o < p->out_features; ++o) {
            uint32_t acc = (uint32_t)dot_s8(x, p->weights + o * p->in_features, p->in_features);
            if (p->bias) {
                acc += (uint32_t)p->bias[o];
            }
            int32_t v = mcunet_rescale_double_round((int32_t)acc, p->scale_mant[o], p->scale_exp[o]) + p->output_zp;
            out[r * p->out_features + o] = (int8_t)mcunet_clamp(v, p->act_min, p->act_max);
        }
    }
}
