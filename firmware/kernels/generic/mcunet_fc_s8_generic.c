/* Fully connected (rows x in_features) . (out_features x in_features)^T, TFLite reference semantics. */
#include "mcunet_kernels.h"

int32_t mcunet_fc_s8_generic_get_buffer_size(void)
{
    return 0;
}

void mcunet_fc_s8_generic(const mcunet_fc_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t r = 0; r < p->rows; ++r) {
        const int8_t *x = in + r * p->in_features;
        for (int32_t o = 0; o < p->out_features; ++o) {
            const int8_t *w = p->weights + o * p->in_features;
            int32_t acc = 0;
            for (int32_t k = 0; k < p->in_features; ++k) {
                acc += (x[k] + p->input_offset) * (w[k] + p->filter_offset);
            }
            if (p->bias) {
                acc = (int32_t)((uint32_t)acc + (uint32_t)p->bias[o]);
            }
            acc = mcunet_rescale_double_round(acc, p->scale_mant[o], p->scale_exp[o]) + p->output_zp;
            out[r * p->out_features + o] = (int8_t)mcunet_clamp(acc, p->act_min, p->act_max);
        }
    }
}
