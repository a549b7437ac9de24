/* RESIZE_NEAREST_NEIGHBOR: source rows/columns are precomputed with TFLite's float32
 * GetNearestNeighbor (align_corners / half_pixel_centers), so this is a gather of pixels. */
#include "mcunet_kernels.h"

int32_t mcunet_resize_nearest_s8_generic_get_buffer_size(void)
{
    return 0;
}

void mcunet_resize_nearest_s8_generic(const mcunet_resize_nearest_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t c = p->channels;
    for (int32_t n = 0; n < p->batch; ++n) {
        const int8_t *image = in + n * p->in_h * p->in_w * c;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            const int8_t *row = image + p->ys[oy] * p->in_w * c;
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                const int8_t *px = row + p->xs[ox] * c;
                for (int32_t i = 0; i < c; ++i) {
                    out[i] = px[i];
                }
                out += c;
            }
        }
    }
}
