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

typedef struct {
    int32_t rows, in_features, out_features;
    int32_t input_offset;
    int32_t output_zp;
    int32_t act_min, act_max;
    int32_t per_channel;      /* mult/shift have out_features entries, else one */
    const int8_t *weights;    /* [out_features][in_features] */
    const int32_t *bias;      /* [out_features] or NULL */
    const int32_t *mult;
    const int32_t *shift;
} mcunet_fc_params_t;

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

#endif /* MCUNET_KERNELS_H */
