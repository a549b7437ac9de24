/* Greedy non-maximum suppression per class in 64-bit integers (no division), as
 * mcunet_core/detect/nms.py computes it. Plain C: at most max_detections x candidates
 * overlap tests of a few products each. */
#include "mcunet_detect.h"

int32_t mcunet_nms_greedy_s32_get_buffer_size(void)
{
    return 0; /* the kept boxes are the output; areas are recomputed */
}

static int64_t area(const mcunet_box_t *b)
{
    return (int64_t)(b->x1 - b->x0) * (b->y1 - b->y0);
}

static int32_t overlap(int32_t lo0, int32_t hi0, int32_t lo1, int32_t hi1)
{
    int32_t hi = hi0 < hi1 ? hi0 : hi1, lo = lo0 > lo1 ? lo0 : lo1;
    return hi > lo ? hi - lo : 0;
}

int32_t mcunet_nms_greedy_s32(const mcunet_box_candidate_t *candidates, int32_t count, int32_t iou_q,
                              int32_t max_detections, mcunet_box_t *boxes)
{
    int32_t kept = 0;
    for (int32_t i = 0; i < count && kept < max_detections; ++i) {
        const mcunet_box_t *b = &candidates[i].box;
        const int64_t area_b = area(b);
        int suppressed = 0;
        for (int32_t k = 0; k < kept && !suppressed; ++k) {
            const mcunet_box_t *o = &boxes[k];
            if (o->cls != b->cls)
                continue;
            int64_t inter = (int64_t)overlap(o->x0, o->x1, b->x0, b->x1) * overlap(o->y0, o->y1, b->y0, b->y1);
            int64_t uni = area(o) + area_b - inter;
            suppressed = inter * ((int64_t)1 << 15) > (int64_t)iou_q * uni;
        }
        if (!suppressed)
            boxes[kept++] = *b;
    }
    return kept;
}
