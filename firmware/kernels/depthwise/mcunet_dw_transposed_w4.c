/* The depthwise layer on transposed whole planes, int4 weights kept packed in flash (p->w4):
 * each channel group's weight blocks are widened into the scratch after the accumulators
 * just before its jobs (widened_words = planes x depth multiplier x block words). The driver
 * is mcunet_dw_transposed_impl.h's (scheme: mcunet_depthwise.h). */
#include "mcunet_dw_transposed_impl.h"

int32_t mcunet_dw_transposed_w4_get_buffer_size(int32_t groups, int32_t strip_rows, int32_t row_len, int32_t batch_rows,
                                                int32_t nquads, int32_t widened_words)
{
    return dw_buffer_size(groups, strip_rows, row_len, batch_rows, nquads) + 4 * widened_words;
}

void mcunet_dw_transposed_w4(const mcunet_dw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch,
                             mcunet_dw_job_fn job_fn, mcunet_dw_epilogue_fn epilogue)
{
    const int32_t before = dw_buffer_size(p->groups, p->strip_rows, p->row_len, p->batch_rows, p->nquads);
    dw_transposed_run(p, in, out, scratch, job_fn, epilogue, (int32_t *)(void *)((int8_t *)scratch + before));
}
