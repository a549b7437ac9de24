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
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t depth_multiplier; /* depthwise only */
    int32_t input_offset;     /* -input zero point */
    int32_t output_zp;
    int32_t act_min, act_max;
    const int8_t *weights;    /* conv: [out_c][k_h][k_w][in_c]; depthwise: [k_h][k_w][out_c] */
    const int32_t *bias;      /* [out_c] or NULL */
    const int32_t *mult;      /* [out_c] */
    const int32_t *shift;     /* [out_c] */
} mcunet_conv_params_t;

void mcunet_conv_s8_generic(const mcunet_conv_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_conv_s8_generic_get_buffer_size(void);

void mcunet_dwconv_s8_generic(const mcunet_conv_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_dwconv_s8_generic_get_buffer_size(void);

/* TFLite's reference FULLY_CONNECTED rescales in double precision:
 * round(double(acc) * (in_scale * w_scale / out_scale)), see mcunet_core/quant/params.py. */
typedef struct {
    int32_t rows, in_features, out_features;
    int32_t input_offset;
    int32_t filter_offset;    /* -weights zero point (per-tensor weights only) */
    int32_t output_zp;
    int32_t act_min, act_max;
    const int8_t *weights;    /* [out_features][in_features] */
    const int32_t *bias;      /* [out_features] or NULL */
    const double *scale;      /* [out_features] effective rescale factors */
} mcunet_fc_params_t;

/* round(acc * scale) half away from zero; out of int32 range gives INT32_MIN (as x86 does,
 * which is what the reference kernels were run on). */
int32_t mcunet_rescale_double_round(int32_t acc, double scale);

void mcunet_fc_s8_generic(const mcunet_fc_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_fc_s8_generic_get_buffer_size(void);

typedef struct {
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t filter_h, filter_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t act_min, act_max;
} mcunet_pool_params_t;

void mcunet_avgpool_s8_generic(const mcunet_pool_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_avgpool_s8_generic_get_buffer_size(void);

void mcunet_maxpool_s8_generic(const mcunet_pool_params_t *p, const int8_t *in, int8_t *out);
int32_t mcunet_maxpool_s8_generic_get_buffer_size(void);

#include "mcunet_pointwise.h" /* pointwise, fully connected, im2col convolution */

#endif /* MCUNET_KERNELS_H */
