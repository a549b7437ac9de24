/* Convolution of any kernel size, stride, dilation and padding, int4 weights kept packed:
 * im2col of each output pixel pair into scratch, then the pointwise core (mcunet_pw_core_w4). */
#include "mcunet_im2col_driver.h"

int32_t mcunet_conv_s8_im2col_oc2px2_w4_get_buffer_size(int32_t taps, int32_t batch)
{
    return batch * 16 * ((taps + 3) / 4) + 2 * taps; /* int16 x of `batch` pixel pairs + two staging fields */
}

void mcunet_conv_s8_im2col_oc2px2_w4(const mcunet_im2col_params_t *p, const int8_t *in, int8_t *out,
                                     int16_t *scratch)
{
    mcunet_im2col_run(p, in, out, scratch, mcunet_pw_core_w4, MCUNET_PW_W4);
}
