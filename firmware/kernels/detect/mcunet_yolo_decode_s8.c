/* YOLO head decoding (YOLOv5's: every output through a sigmoid) of int8 outputs into
 * score-ordered candidates, in integers, as mcunet_core/detect/decode.py computes them:
 *
 *   cx = (gx + 2 p_x - 0.5) * stride        w = (2 p_w)^2 * aw
 *   cy = (gy + 2 p_y - 0.5) * stride        h = (2 p_h)^2 * ah
 *   score = p_obj * max_c p_c,  class = the first argmax
 *
 * Plain C (no DSP path: the work is table look-ups and a few 64-bit products per anchor
 * that passes). */
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

/* The candidates kept are the best max_candidates by (score descending, position
 * ascending); positions are unique, so that order is total. While decoding, the buffer is a
 * heap with the worst candidate at its root (O(log n) per anchor that passes); at the end it
 * is sorted best first in place (heapsort). */
static int better(const mcunet_box_candidate_t *a, const mcunet_box_candidate_t *b)
{
    return a->box.score > b->box.score || (a->box.score == b->box.score && a->position < b->position);
}

/* Put c at i and move it down until no child is worse than it (the heap's first n). */
static void sift_down(mcunet_box_candidate_t *heap, int32_t n, int32_t i, const mcunet_box_candidate_t *c)
{
    for (;;) {
        int32_t w = 2 * i + 1;
        if (w >= n)
            break;
        if (w + 1 < n && better(&heap[w], &heap[w + 1]))
            w = w + 1; /* the worse child */
        if (!better(c, &heap[w]))
            break;
        heap[i] = heap[w];
        i = w;
    }
    heap[i] = *c;
}

static int32_t keep(mcunet_box_candidate_t *heap, int32_t n, int32_t cap, const mcunet_box_candidate_t *c)
{
    if (n == cap) {
        if (better(c, &heap[0]))
            sift_down(heap, n, 0, c);
        return n;
    }
    int32_t i = n;
    while (i > 0 && better(&heap[(i - 1) / 2], c)) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = *c;
    return n + 1;
}

static void sort_best_first(mcunet_box_candidate_t *heap, int32_t n)
{
    for (int32_t k = n - 1; k > 0; --k) {
        mcunet_box_candidate_t last = heap[k];
        heap[k] = heap[0]; /* the worst of the first k + 1 goes to the end */
        sift_down(heap, k, 0, &last);
    }
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
                    n = keep(candidates, n, p->max_candidates, &c);
                }
            }
        }
    }
    sort_best_first(candidates, n);
    return n;
}
