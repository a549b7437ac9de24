/* Pointwise 1x1 convolution (any stride), int4 weights kept packed: pixel pairs widened
 * once, then the 2 output channels x 2 pixels core (mcunet_pw_core_w4). */
#include "mcunet_pw_impl.h"

int32_t mcunet_pw_conv_s8_oc2px2_w4_get_buffer_size(int32_t in_c, int32_t batch)
{
    return batch * 16 * ((in_c + 3) / 4); /* int16 x of `batch` pixel pairs, channels padded to 4 */
}

void mcunet_pw_conv_s8_oc2px2_w4(const mcunet_pw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch)
{
    mcunet_pw_run(p, in, out, scratch, mcunet_pw_core_w4, MCUNET_PW_W4);
}
