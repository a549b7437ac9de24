/* YOLO head decoding (YOLOv5's: every output through a sigmoid) of int8 outputs into
 * score-ordered candidates, in integers, as mcunet_core/detect/decode.py computes them:
 *
 *   cx = (gx + 2 p_x - 0.5) * stride        w = (2 p_w)^2 * aw
 *   cy = (gy + 2 p_y - 0.5) * stride        h = (2 p_h)^2 * ah
 *   score = p_obj * max_c p_c,  class = the first argmax
 *
 * Plain C (no DSP path: the work is table look-ups and a few 64-bit products per anchor
 * that passes). */
#include <string.h>

#include "mcunet_detect.h"

#define Q 15
#define ONE (1 << Q)
#define BOX_FRAC 4

int32_t mcunet_yolo_decode_s8_get_buffer_size(int32_t max_candidates)
{
    return max_candidates * (int32_t)sizeof(mcunet_box_candidate_t);
}

/* floor(x / 2^s) without shifting a negative value (implementation-defined in C). */
static int64_t floor_shift(int64_t x, int s)
{
    return x >= 0 ? x >> s : ~(~x >> s);
}

/* Round half up: (x + 2^(s-1)) >> s, an arithmetic shift. */
static int64_t round_shift(int64_t x, int s)
{
    return floor_shift(x + ((int64_t)1 << (s - 1)), s);
}

static int32_t clip(int64_t v, int32_t hi)
{
    return v < 0 ? 0 : v > hi ? hi : (int32_t)v;
}

/* Insert c into the sorted list (score descending; an equal score goes after the ones
 * there: they came earlier, so their positions are lower); full lists drop the worst. */
static int32_t insert(mcunet_box_candidate_t *list, int32_t n, int32_t cap, const mcunet_box_candidate_t *c)
{
    if (n == cap && list[n - 1].box.score >= c->box.score)
        return n;
    int32_t lo = 0, hi = n; /* first index whose score is below c's */
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (list[mid].box.score >= c->box.score)
            lo = mid + 1;
        else
            hi = mid;
    }
    int32_t moved = (n == cap ? n - 1 : n) - lo;
    if (moved > 0)
        memmove(&list[lo + 1], &list[lo], (size_t)moved * sizeof(*list));
    list[lo] = *c;
    return n == cap ? n : n + 1;
}

int32_t mcunet_yolo_decode_s8(const mcunet_yolo_decode_params_t *p, const int8_t *const *outputs,
                              mcunet_box_candidate_t *candidates)
{
    const int32_t entries = 5 + p->classes;
    const int32_t W = p->image_width << BOX_FRAC, H = p->image_height << BOX_FRAC;
    int32_t n = 0, position = 0;
    if (p->max_candidates <= 0)
        return 0;
    for (int32_t l = 0; l < p->levels_count; ++l) {
        const mcunet_yolo_level_t *lv = &p->levels[l];
        const int16_t *sig = lv->sigmoid;
        const int8_t *out = outputs[l];
        for (int32_t gy = 0; gy < lv->height; ++gy) {
            for (int32_t gx = 0; gx < lv->width; ++gx) {
                for (int32_t a = 0; a < lv->anchors_count; ++a, ++position, out += entries) {
                    int32_t best = 0, best_p = sig[out[5] + 128];
                    for (int32_t c = 1; c < p->classes; ++c) {
                        int32_t pc = sig[out[5 + c] + 128];
                        if (pc > best_p) {
                            best_p = pc;
                            best = c;
                        }
                    }
                    int32_t score = (int32_t)round_shift((int64_t)sig[out[4] + 128] * best_p, Q);
                    if (score < p->score_q)
                        continue;
                    int64_t px = sig[out[0] + 128], py = sig[out[1] + 128];
                    int64_t tw = 2 * (int64_t)sig[out[2] + 128], th = 2 * (int64_t)sig[out[3] + 128];
                    int64_t cx = round_shift((((int64_t)gx << Q) + 2 * px - (ONE >> 1)) * lv->stride, Q - BOX_FRAC);
                    int64_t cy = round_shift((((int64_t)gy << Q) + 2 * py - (ONE >> 1)) * lv->stride, Q - BOX_FRAC);
                    int64_t bw = round_shift(round_shift(tw * tw, Q) * lv->anchors[2 * a], Q);
                    int64_t bh = round_shift(round_shift(th * th, Q) * lv->anchors[2 * a + 1], Q);
                    int64_t x0 = cx - (bw >> 1), y0 = cy - (bh >> 1);
                    mcunet_box_candidate_t c = {
                        {best, score, clip(x0, W), clip(y0, H), clip(x0 + bw, W), clip(y0 + bh, H)}, position};
                    n = insert(candidates, n, p->max_candidates, &c);
                }
            }
        }
    }
    return n;
}
