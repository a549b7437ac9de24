/* Fully connected with int4 weights kept packed (two per byte), widened in the loop.
 *
 * Same parameters as mcunet_fc_s8_smlad (input offset folded into the bias offline);
 * `weights` points at packed rows of (in_features + 1) / 2 bytes each (row o at
 * o * row_bytes). Per row, each group of 8 taps is 4 bytes whose byte i holds tap i in its
 * low nibble and tap 4 + i in its high nibble; the last in_features % 8 taps follow two per
 * byte, low nibble first (SmladFullyConnectedW4.pack_rows builds this).
 *
 * DSP path: per 8 taps one weight word; (w << 4) & 0xF0F0F0F0 and w & 0xF0F0F0F0 hold
 * 16 * the taps as int8 bytes, SXTB16 widens them into the pairs of the input's SXTB16
 * order and 4 SMLAD accumulate 16 * the dot product, shifted back exactly at the end (the
 * kernel class admits a layer only when 16 * |dot| < 2^31). The plain-C path computes the
 * same dot product tap by tap. The rescale is TFLite's reference double-precision one. */
#include "mcunet_kernels.h"

int32_t mcunet_fc_s8_w4_smlad_get_buffer_size(void)
{
    return 0;
}

static inline int32_t nib_lo(uint32_t byte)
{
    return (int32_t)(int8_t)(uint8_t)(byte << 4) >> 4;
}

static inline int32_t nib_hi(uint32_t byte)
{
    return (int32_t)(int8_t)(uint8_t)byte >> 4;
}

static int32_t dot_s8_w4(const int8_t *x, const uint8_t *w, int32_t n)
{
    int32_t k = 0;
    int32_t acc = 0;
#if MCUNET_HAVE_DSP
    uint32_t acc16 = 0;
    for (; k + 8 <= n; k += 8, w += 4) {
        uint32_t x0, x1, wv;
        __builtin_memcpy(&x0, x + k, 4);
        __builtin_memcpy(&x1, x + k + 4, 4);
        __builtin_memcpy(&wv, w, 4);
        uint32_t lo = (wv << 4) & 0xF0F0F0F0u, hi = wv & 0xF0F0F0F0u;
        uint32_t x02, x13, x46, x57, w02, w13, w46, w57;
        __asm__("sxtb16 %0, %1" : "=r"(x02) : "r"(x0));
        __asm__("sxtb16 %0, %1, ror #8" : "=r"(x13) : "r"(x0));
        __asm__("sxtb16 %0, %1" : "=r"(x46) : "r"(x1));
        __asm__("sxtb16 %0, %1, ror #8" : "=r"(x57) : "r"(x1));
        __asm__("sxtb16 %0, %1" : "=r"(w02) : "r"(lo));
        __asm__("sxtb16 %0, %1, ror #8" : "=r"(w13) : "r"(lo));
        __asm__("sxtb16 %0, %1" : "=r"(w46) : "r"(hi));
        __asm__("sxtb16 %0, %1, ror #8" : "=r"(w57) : "r"(hi));
        __asm__("smlad %0, %1, %2, %0" : "+r"(acc16) : "r"(x02), "r"(w02));
        __asm__("smlad %0, %1, %2, %0" : "+r"(acc16) : "r"(x13), "r"(w13));
        __asm__("smlad %0, %1, %2, %0" : "+r"(acc16) : "r"(x46), "r"(w46));
        __asm__("smlad %0, %1, %2, %0" : "+r"(acc16) : "r"(x57), "r"(w57));
    }
    acc = (int32_t)acc16 >> 4;
#else
    for (; k + 8 <= n; k += 8, w += 4) {
        for (int32_t i = 0; i < 4; ++i) {
            acc += (int32_t)x[k + i] * nib_lo(w[i]) + (int32_t)x[k + 4 + i] * nib_hi(w[i]);
        }
    }
#endif
    for (int32_t j = 0; k < n; ++j) { /* the last n % 8 taps, two per byte */
        acc += (int32_t)x[k++] * nib_lo(w[j]);
        if (k < n) {
            acc += (int32_t)x[k++] * nib_hi(w[j]);
        }
    }
    return acc;
}

void mcunet_fc_s8_w4_smlad(const mcunet_fc_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t row_bytes = (p->in_features + 1) >> 1;
    const uint8_t *weights = (const uint8_t *)p->weights;
    for (int32_t r = 0; r < p->rows; ++r) {
        const int8_t *x = in + r * p->in_features;
        for (int32_t o = 0; o < p->out_features; ++o) {
            uint32_t acc = (uint32_t)dot_s8_w4(x, weights + o * row_bytes, p->in_features);
            if (p->bias) {
                acc += (uint32_t)p->bias[o];
            }
            int32_t v = mcunet_rescale_double_round((int32_t)acc, p->scale_mant[o], p->scale_exp[o]) + p->output_zp;
            out[r * p->out_features + o] = (int8_t)mcunet_clamp(v, p->act_min, p->act_max);
        }
    }
}
