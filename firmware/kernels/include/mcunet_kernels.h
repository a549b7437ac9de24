/*
 * Every mcunet kernel: parameter blocks and prototypes.
 *
 * Each kernel lives in its own file named after its specialization and has a
 * <name>_get_buffer_size() twin giving the scratch bytes it needs (mirrored by the
 * Python kernel table; tests/engine/test_buffer_sizes.py keeps them equal).
 */
#ifndef MCUNET_KERNELS_H
#define MCUNET_KERNELS_H

#include <stdint.h>

#include "mcunet_requant.h"
#include "mcunet_depthwise.h"

/* ---- generic (plain C, TFLite reference semantics) ------------------------------ */

typedef struct {
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t depth_multiplier; /* depthwise only */
    int32_t filter_c;         /* conv: input channels per group (in_c / groups) */
    int32_t input_offset;     /* -input zero point */
    int32_t output_zp;
    int32_t act_min, act_max;
    const int8_t *weights;    /* conv: [out_c][k_h][k_w][filter_c]; depthwise: [k_h][k_w][out_c] */
    const int32_t *bias;      /* [out_c] or NULL */
    const int32_t *mult;      /* [out_c] */
    const int32_t *shift;     /* [out_c] */
} mcunet_conv_params_t;

void mcunet_conv_s8_generic(const mcunet_conv_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_conv_s8_generic_get_buffer_size(void);

void mcunet_dwconv_s8_generic(const mcunet_conv_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_dwconv_s8_generic_get_buffer_size(void);

/* TFLite's reference FULLY_CONNECTED rescales in double precision:
 * round(double(acc) * (in_scale * w_scale / out_scale)), see mcunet_core/quant/params.py;
 * each scale is passed as the double's exact mant * 2^exp. */
typedef struct {
    int32_t rows, in_features, out_features;
    int32_t input_offset;
    int32_t filter_offset;    /* -weights zero point (per-tensor weights only) */
    int32_t output_zp;
    int32_t act_min, act_max;
    const int8_t *weights;    /* [out_features][in_features] */
    const int32_t *bias;      /* [out_features] or NULL */
    const uint64_t *scale_mant; /* [out_features] effective rescale factors: mant * 2^exp */
    const int32_t *scale_exp;
} mcunet_fc_params_t;

/* round(double(acc) * mant * 2^exp) half away from zero, bit-exact in integers; out of int32
 * range gives INT32_MIN (as x86's conversion, which the reference kernels were run on). */
int32_t mcunet_rescale_double_round(int32_t acc, uint64_t mant, int32_t exp);

void mcunet_fc_s8_generic(const mcunet_fc_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_fc_s8_generic_get_buffer_size(void);

/* Same parameters; input_offset must be 0 (folded into bias) and filter_offset 0. */
void mcunet_fc_s8_smlad(const mcunet_fc_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_fc_s8_smlad_get_buffer_size(void);

/* Same parameters with int4 weights kept packed: `weights` holds rows of (in_features + 1) / 2
 * bytes in the kernel's nibble order (fc/mcunet_fc_s8_w4_smlad.c). */
void mcunet_fc_s8_w4_smlad(const mcunet_fc_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_fc_s8_w4_smlad_get_buffer_size(void);

typedef struct {
    int32_t batches;
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t filter_h, filter_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t act_min, act_max;
} mcunet_pool_params_t;

/* The in-bounds part of the window of output (oy, ox): rows [ky0, ky1), columns [kx0, kx1)
 * of the filter, starting at input row y0, column x0 (TFLite pools only over real pixels). */
typedef struct {
    int32_t y0, x0, ky0, ky1, kx0, kx1;
} mcunet_pool_window_t;

static inline mcunet_pool_window_t mcunet_pool_window(const mcunet_pool_params_t *p, int32_t oy, int32_t ox)
{
    mcunet_pool_window_t w;
    w.y0 = oy * p->stride_h - p->pad_top;
    w.x0 = ox * p->stride_w - p->pad_left;
    w.ky0 = w.y0 < 0 ? -w.y0 : 0;
    w.kx0 = w.x0 < 0 ? -w.x0 : 0;
    w.ky1 = p->in_h - w.y0 < p->filter_h ? p->in_h - w.y0 : p->filter_h;
    w.kx1 = p->in_w - w.x0 < p->filter_w ? p->in_w - w.x0 : p->filter_w;
    return w;
}

void mcunet_avgpool_s8_generic(const mcunet_pool_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_avgpool_s8_generic_get_buffer_size(void);

void mcunet_maxpool_s8_generic(const mcunet_pool_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_maxpool_s8_generic_get_buffer_size(void);

#include <stddef.h> /* NULL in generated parameter blocks (e.g. a convolution without bias) */

/* ---- generic: elementwise, reductions, data movement, nonlinear maps ------------ *
 * Shapes arrive with size-1 dimensions dropped and mergeable neighbours merged (done
 * at generation time), so at most MCUNET_MAX_DIMS remain. Strides count elements. */
#include "mcunet_broadcast.h"
#include "mcunet_detect.h" /* detection post-processing: YOLO decode, NMS */

/* ADD, TFLite's int8 general path: both inputs to a common scale with left_shift bits
 * of headroom, sum, rescale to the output. */
typedef struct {
    mcunet_broadcast_t shape;
    int32_t a_offset, b_offset; /* -zero points */
    int32_t left_shift;
    int32_t a_mult, a_shift;  /* shifts <= 0 */
    int32_t b_mult, b_shift;
    int32_t out_mult, out_shift;
    int32_t output_zp;
    int32_t act_min, act_max;
} mcunet_add_params_t;

void mcunet_add_s8_generic(const mcunet_add_params_t *p, const int8_t *a, const int8_t *b, int8_t *out);
int32_t mcunet_add_s8_generic_get_buffer_size(void);

/* MUL: (a - za) * (b - zb) requantized with one multiplier. */
typedef struct {
    mcunet_broadcast_t shape;
    int32_t a_offset, b_offset; /* -zero points */
    int32_t mult, shift;
    int32_t output_zp;
    int32_t act_min, act_max;
} mcunet_mul_params_t;

void mcunet_mul_s8_generic(const mcunet_mul_params_t *p, const int8_t *a, const int8_t *b, int8_t *out);
int32_t mcunet_mul_s8_generic_get_buffer_size(void);

/* MEAN over any axes: the kept dims (outer) walk the output in order, the reduced dims
 * (inner) are summed; 1/count is folded into mult/shift as TFLite's reference does. */
typedef struct {
    int32_t outer_rank;
    const int32_t *outer_dims;
    const int32_t *outer_stride;
    int32_t inner_rank;
    const int32_t *inner_dims;
    const int32_t *inner_stride;
    int32_t sum_offset;       /* -input_zp * count, wrapped to int32 */
    int32_t mult, shift;
    int32_t output_zp;
} mcunet_mean_params_t;

void mcunet_mean_s8_generic(const mcunet_mean_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_mean_s8_generic_get_buffer_size(void);

/* PAD / PADV2 with the zero point. */
typedef struct {
    int32_t rank;
    const int32_t *in_dims;
    const int32_t *before;
    const int32_t *after;
    int32_t pad_value;
} mcunet_pad_params_t;

void mcunet_pad_s8_generic(const mcunet_pad_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_pad_s8_generic_get_buffer_size(void);

/* SOFTMAX over the last axis. exp_table[d] is gemmlowp's exp (Q0.31) of the input
 * difference -d (d = row max - x), precomputed; d >= table_len contributes nothing. */
typedef struct {
    int32_t rows, depth;
    int32_t table_len;
    const int32_t *exp_table;
} mcunet_softmax_params_t;

void mcunet_softmax_s8_generic(const mcunet_softmax_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_softmax_s8_generic_get_buffer_size(void);

/* CONCATENATION: per outer step, inner[i] bytes of input i in turn. The inputs follow
 * `out` as n_inputs `const int8_t *` arguments. */
typedef struct {
    int32_t outer;
    int32_t n_inputs;
    const int32_t *inner;
} mcunet_concat_params_t;

void mcunet_concat_s8_generic(const mcunet_concat_params_t *p, int8_t *out, ...);
int32_t mcunet_concat_s8_generic_get_buffer_size(void);

/* RESIZE_NEAREST_NEIGHBOR: source row/column per output row/column (precomputed). */
typedef struct {
    int32_t batch, in_h, in_w, channels;
    int32_t out_h, out_w;
    const int32_t *ys;        /* [out_h] */
    const int32_t *xs;        /* [out_w] */
} mcunet_resize_nearest_params_t;

void mcunet_resize_nearest_s8_generic(const mcunet_resize_nearest_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_resize_nearest_s8_generic_get_buffer_size(void);

/* TRANSPOSE: the output walked in order, reading the input at in_stride per dim. */
typedef struct {
    int32_t rank;
    const int32_t *dims;      /* output shape */
    const int32_t *in_stride;
} mcunet_transpose_params_t;

void mcunet_transpose_s8_generic(const mcunet_transpose_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_transpose_s8_generic_get_buffer_size(void);

/* QUANTIZE float32 -> int8 and DEQUANTIZE int8 -> float32 (float32 arithmetic, exact). */
typedef struct {
    int32_t size;
    int32_t zero_point;
    float scale;
} mcunet_affine_params_t;

void mcunet_quantize_f32_s8_generic(const mcunet_affine_params_t *p, const float *in, int8_t *out);
int32_t mcunet_quantize_f32_s8_generic_get_buffer_size(void);

void mcunet_dequantize_s8_f32_generic(const mcunet_affine_params_t *p, const int8_t *in, float *out);
int32_t mcunet_dequantize_s8_f32_generic_get_buffer_size(void);

/* out[i] = lut[in[i] + 128]: LOGISTIC, HARD_SWISH, int8 -> int8 QUANTIZE. */
void mcunet_lut_s8_generic(const int8_t *lut, const int8_t *in, int8_t *out, int32_t size);
int32_t mcunet_lut_s8_generic_get_buffer_size(void);

/* A plain copy where a view is not possible (e.g. the source is a constant). */
void mcunet_copy_s8_generic(const int8_t *in, int8_t *out, int32_t bytes);
int32_t mcunet_copy_s8_generic_get_buffer_size(void);

/* Rows of a block between two tensors of other row strides (bytes): patch SLICE and PASTE. */
void mcunet_copy_block_s8(const int8_t *src, int32_t src_offset, int32_t src_stride, int8_t *dst,
                          int32_t dst_offset, int32_t dst_stride, int32_t rows, int32_t row_bytes);
int32_t mcunet_copy_block_s8_get_buffer_size(void);

/* ADD / MUL with the fast exact requantization (mcunet_requant_fast: output right shift
 * 1..24). ADD reads each input's rescaled value, doubled, from a 256-entry table built
 * with TFLite's arithmetic; MUL feeds 2 * (a - za) * (b - zb). */
typedef struct {
    mcunet_broadcast_t shape;
    const int32_t *a_table;   /* ADD: 2 * rescaled(a) for a = -128..127; MUL: NULL */
    const int32_t *b_table;
    int32_t a_offset, b_offset; /* MUL: -zero points; ADD: 0 */
    int32_t mult, round, shift;
    int32_t act_min, act_max;
} mcunet_binary_fast_params_t;

void mcunet_add_s8_fast(const mcunet_binary_fast_params_t *p, const int8_t *a, const int8_t *b, int8_t *out);
int32_t mcunet_add_s8_fast_get_buffer_size(void);

void mcunet_mul_s8_fast(const mcunet_binary_fast_params_t *p, const int8_t *a, const int8_t *b, int8_t *out);
int32_t mcunet_mul_s8_fast_get_buffer_size(void);

#include "mcunet_pointwise.h" /* pointwise, fully connected, im2col convolution */

#endif /* MCUNET_KERNELS_H */
