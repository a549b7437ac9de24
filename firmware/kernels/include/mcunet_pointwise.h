/*
 * Pointwise (1x1) convolution, fully connected and KxK convolution through im2col: one
 * register-blocked core (2 output channels x 2 pixels, SMLAD on 16-bit operands).
 *
 * Data layout shared by the DSP path and the plain-C fallback (little-endian):
 *  - x scratch, per pixel pair: for every group of 4 input channels c0..c3,
 *    pixel 0 then pixel 1, each as int16 {c0, c2, c1, c3} (the SXTB16 even/odd order);
 *    a channel count that is not a multiple of 4 is padded with zeros.
 *  - blob (int32 words, flash), one record per output-channel pair (oc0, oc1):
 *      bias   w16: b0 b1 b0 b1 (doubled); w8: b0 b1; w4: 16 b0, 16 b1     b = bias - input_zp * sum(w)
 *      weights, per group of 4 input channels:
 *         w16: oc0 {w0,w2}{w1,w3}, oc1 {w0,w2}{w1,w3} as int16 pairs, weights doubled (4 words)
 *         w8 : oc0 w0..w3, oc1 w0..w3 as int8 (2 words, widened in the loop)
 *         w4 : one word, byte t = oc0 w_t | oc1 w_t << 4 (int4 nibbles, widened in the loop)
 *      requant w16: M0 M1 C0 C1 s0 s1; w8, w4: M0 M1 C0 C1 (s0 | s1 << 8)   (mcunet_requant_fast)
 *      only when clamp: lo4 hi4   (activation bounds replicated in 4 bytes)
 *    An odd output-channel count ends with a record whose oc1 is all zero (never stored).
 *  Accumulators are 2 * (bias + sum w * (x - input_zp)) when requantized, as the fast
 *  requantization needs; the code generator checks |acc| < 2^30 (w4: < 2^27, as its core
 *  accumulates 16 x acc).
 */
#ifndef MCUNET_POINTWISE_H
#define MCUNET_POINTWISE_H

#include <stdint.h>

#include "mcunet_requant.h"

typedef struct {
    int32_t out_h, out_w;   /* output pixels as rows x columns (pointwise stride 1 / FC: 1 x pixels) */
    int32_t in_row_step;    /* bytes between the input rows of consecutive output rows */
    int32_t in_px_step;     /* bytes between the input pixels of consecutive output columns */
    int32_t in_c, out_c;
    int32_t clamp;          /* activation range narrower than int8: records carry lo4/hi4 */
    int32_t reverse;        /* stride 1 only: pairs from the last pixel to the first */
    int32_t batch;          /* pixel pairs widened per core call (scratch: 16 * groups bytes each) */
    const int32_t *blob;
} mcunet_pw_params_t;

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t input_zp;
    int32_t clamp;
    int32_t batch;          /* pixel pairs widened per core call */
    const int32_t *blob;
} mcunet_im2col_params_t;

/* Pointwise 1x1 conv (any stride) and fully connected (rows as pixels). */
void mcunet_pw_conv_s8_oc2px2_w16(const mcunet_pw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch);
int32_t mcunet_pw_conv_s8_oc2px2_w16_get_buffer_size(int32_t in_c, int32_t batch);
void mcunet_pw_conv_s8_oc2px2_w8(const mcunet_pw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch);
int32_t mcunet_pw_conv_s8_oc2px2_w8_get_buffer_size(int32_t in_c, int32_t batch);
void mcunet_pw_conv_s8_oc2px2_w4(const mcunet_pw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch);
int32_t mcunet_pw_conv_s8_oc2px2_w4_get_buffer_size(int32_t in_c, int32_t batch);

/* Any-size convolution (kernel, stride, dilation, padding) through a per-pixel-pair im2col. */
void mcunet_conv_s8_im2col_oc2px2_w16(const mcunet_im2col_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch);
int32_t mcunet_conv_s8_im2col_oc2px2_w16_get_buffer_size(int32_t taps, int32_t batch);
void mcunet_conv_s8_im2col_oc2px2_w8(const mcunet_im2col_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch);
int32_t mcunet_conv_s8_im2col_oc2px2_w8_get_buffer_size(int32_t taps, int32_t batch);
void mcunet_conv_s8_im2col_oc2px2_w4(const mcunet_im2col_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch);
int32_t mcunet_conv_s8_im2col_oc2px2_w4_get_buffer_size(int32_t taps, int32_t batch);

/* The cores: oc_pairs records against `pairs` widened pixel pairs lying back to back in x
 * (16 * groups bytes each). Pair k's first pixel outputs go to out + k * pair_step, its
 * second pixel's out1_delta bytes further (out1_delta = 0 for a lone pixel stored twice). */
void mcunet_pw_core_w16(const int16_t *x, const int32_t *blob, int8_t *out, int32_t out1_delta,
                        int32_t oc_pairs, int32_t groups, int32_t clamp, int32_t pairs, int32_t pair_step);
void mcunet_pw_core_w8(const int16_t *x, const int32_t *blob, int8_t *out, int32_t out1_delta,
                       int32_t oc_pairs, int32_t groups, int32_t clamp, int32_t pairs, int32_t pair_step);
void mcunet_pw_core_w4(const int16_t *x, const int32_t *blob, int8_t *out, int32_t out1_delta,
                       int32_t oc_pairs, int32_t groups, int32_t clamp, int32_t pairs, int32_t pair_step);

#endif /* MCUNET_POINTWISE_H */
