/*
 * Detection post-processing: YOLO head decoding and greedy NMS in integers.
 *
 * The C twin of mcunet_core/detect/decode.py and nms.py, bit for bit: probabilities in
 * Q15 (a 256-entry sigmoid table per int8 output), boxes in 1/16 pixel, 64-bit products,
 * every shift a rounding (add half, then floor) shift. Each kernel has a
 * <name>_get_buffer_size() twin (tests/engine/test_buffer_sizes.py).
 */
#ifndef MCUNET_DETECT_H
#define MCUNET_DETECT_H

#include <stdint.h>

/* One detection: class, score (Q15), corners x0, y0, x1, y1 (1/16 pixel, in the input). */
typedef struct {
    int32_t cls, score, x0, y0, x1, y1;
} mcunet_box_t;

/* A decoded anchor before NMS; position orders equal scores (level, row, column, anchor). */
typedef struct {
    mcunet_box_t box;
    int32_t position;
} mcunet_box_candidate_t;

/* One head level: its int8 output is NHWC (1, height, width, anchors x (5 + classes)). */
typedef struct {
    const int16_t *sigmoid;  /* [256]: Q15 sigmoid of the int8 value q at q + 128 */
    const int32_t *anchors;  /* [anchors][2]: width, height in 1/16 pixel */
    int32_t height, width, anchors_count, stride;
} mcunet_yolo_level_t;

typedef struct {
    const mcunet_yolo_level_t *levels;
    int32_t levels_count;
    int32_t classes;
    int32_t image_width, image_height; /* pixels: boxes are clipped to the input */
    int32_t score_q;                   /* keep anchors with score >= score_q (Q15) */
    int32_t max_candidates;            /* the candidate buffer's capacity */
} mcunet_yolo_decode_params_t;

/* The anchors of every level whose score passes, best first (ties: position), at most
 * p->max_candidates of them, into candidates (the scratch); returns how many. */
int32_t mcunet_yolo_decode_s8(const mcunet_yolo_decode_params_t *p, const int8_t *const *outputs,
                              mcunet_box_candidate_t *candidates);
int32_t mcunet_yolo_decode_s8_get_buffer_size(int32_t max_candidates);

/* Greedy per-class NMS over candidates ordered best first: a candidate is dropped when a
 * kept box of its class overlaps it with inter * 2^15 > iou_q * union; at most
 * max_detections kept, into boxes in order; returns how many. */
int32_t mcunet_nms_greedy_s32(const mcunet_box_candidate_t *candidates, int32_t count, int32_t iou_q,
                              int32_t max_detections, mcunet_box_t *boxes);
int32_t mcunet_nms_greedy_s32_get_buffer_size(void);

#endif /* MCUNET_DETECT_H */
