/* The depthwise layer on transposed whole planes, int4 taps kept packed in flash (p->taps):
 * each channel group's weight blocks are widened once into the scratch after the accumulators
 * before its jobs (widened_words = planes x depth multiplier x block words). The driver is
 * mcunet_dw_transposed_impl.h's (scheme: mcunet_depthwise.h). */
#include "mcunet_dw_transposed_impl.h"
#include "mcunet_dw_taps.h"

int32_t mcunet_dw_transposed_w4_get_buffer_size(int32_t groups, int32_t strip_rows, int32_t row_len, int32_t batch_rows,
                                                int32_t nquads, int32_t widened_words)
{
    return dw_buffer_size(groups, strip_rows, row_len, batch_rows, nquads) + 4 * widened_words;
}

void mcunet_dw_transposed_w4(const mcunet_dw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch,
                             mcunet_dw_job_fn job_fn, mcunet_dw_epilogue_fn epilogue)
{
    dw_transposed_run(p, in, out, scratch, job_fn, epilogue, dw_widen_w4_blocks);
}
