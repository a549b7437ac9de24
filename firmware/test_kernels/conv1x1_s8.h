/* Hand-written int8 1x1 convolution with per-channel requantisation (TFLite semantics).
 * The firmware test kernel: plain C, checked bit for bit against mcunet_core.quant. */
#ifndef CONV1X1_S8_H
#define CONV1X1_S8_H

#include <stdint.h>

typedef struct {
    int32_t pixels;        /* H * W */
    int32_t in_ch;
    int32_t out_ch;
    int32_t input_offset;  /* -input zero point */
    int32_t output_offset; /* output zero point */
    int32_t act_min;
    int32_t act_max;
} conv1x1_s8_params;

/* weights: [out_ch][in_ch]; bias, multiplier, shift: [out_ch]; NHWC input/output. */
int conv1x1_s8(const conv1x1_s8_params *p, const int8_t *input, const int8_t *weights,
               const int32_t *bias, const int32_t *multiplier, const int32_t *shift, int8_t *output);

#endif
