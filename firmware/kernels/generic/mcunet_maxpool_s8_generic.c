/* Max pooling over the in-bounds part of each window, then the fused clamp. */
#include "mcunet_kernels.h"

int32_t mcunet_maxpool_s8_generic_get_buffer_size(void)
{
    return 0;
}

static void one_image(const mcunet_pool_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
        for (int32_t ox = 0; ox < p->out_w; ++ox) {
            const mcunet_pool_window_t win = mcunet_pool_window(p, oy, ox);
            const int32_t y0 = win.y0, x0 = win.x0, ky0 = win.ky0, ky1 = win.ky1, kx0 = win.kx0, kx1 = win.kx1;
            for (int32_t c = 0; c < p->channels; ++c) {
                int32_t best = -128;
                for (int32_t ky = ky0; ky < ky1; ++ky) {
                    for (int32_t kx = kx0; kx < kx1; ++kx) {
                        const int32_t v = in[((y0 + ky) * p->in_w + (x0 + kx)) * p->channels + c];
                        best = v > best ? v : best;
                    }
                }
                out[(oy * p->out_w + ox) * p->channels + c] = (int8_t)mcunet_clamp(best, p->act_min, p->act_max);
            }
        }
    }
}

void mcunet_maxpool_s8_generic(const mcunet_pool_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        one_image(p, in + b * p->in_h * p->in_w * p->channels, out + b * p->out_h * p->out_w * p->channels);
    }
}
