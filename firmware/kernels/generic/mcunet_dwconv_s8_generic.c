/* Depthwise convolution, any depth multiplier / stride / dilation, TFLite reference semantics. */
#include "mcunet_kernels.h"

int32_t mcunet_dwconv_s8_generic_get_buffer_size(void)
{
    return 0;
}

static void one_image(const mcunet_conv_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
        for (int32_t ox = 0; ox < p->out_w; ++ox) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t x0 = ox * p->stride_w - p->pad_left;
            for (int32_t oc = 0; oc < p->out_c; ++oc) {
                const int32_t ic = oc / p->depth_multiplier;
                int32_t acc = 0;
                for (int32_t ky = 0; ky < p->k_h; ++ky) {
                    const int32_t iy = y0 + ky * p->dil_h;
                    if (iy < 0 || iy >= p->in_h) {
                        continue;
                    }
                    for (int32_t kx = 0; kx < p->k_w; ++kx) {
                        const int32_t ix = x0 + kx * p->dil_w;
                        if (ix < 0 || ix >= p->in_w) {
                            continue;
                        }
                        const int32_t x = in[(iy * p->in_w + ix) * p->in_c + ic];
                        acc += (x + p->input_offset) * p->weights[(ky * p->k_w + kx) * p->out_c + oc];
                    }
                }
                if (p->bias) {
                    acc += p->bias[oc];
                }
                acc = mcunet_requant_tflite(acc, p->mult[oc], p->shift[oc], p->output_zp);
                out[(oy * p->out_w + ox) * p->out_c + oc] = (int8_t)mcunet_clamp(acc, p->act_min, p->act_max);
            }
        }
    }
}

void mcunet_dwconv_s8_generic(const mcunet_conv_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        one_image(p, in + b * p->in_h * p->in_w * p->in_c, out + b * p->out_h * p->out_w * p->out_c);
    }
}
