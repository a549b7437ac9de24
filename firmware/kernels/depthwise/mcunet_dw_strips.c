/* The depthwise layer on strips of int16 channel planes, int16 weight blocks in flash:
 * the driver of mcunet_dw_strips_impl.h (scheme: mcunet_depthwise.h). */
#include "mcunet_dw_strips_impl.h"

int32_t mcunet_dw_strips_get_buffer_size(int32_t groups, int32_t strip_rows, int32_t row_len, int32_t batch_rows,
                                         int32_t nquads)
{
    return dw_buffer_size(groups, strip_rows, row_len, batch_rows, nquads);
}

void mcunet_dw_strips(const mcunet_dw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch,
                      mcunet_dw_job_fn job_fn, mcunet_dw_epilogue_fn epilogue)
{
    dw_strips_run(p, in, out, scratch, job_fn, epilogue, 0);
}
