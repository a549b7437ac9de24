/* Depthwise plane kernels: requantization of a job's accumulators in C, for the clamp and
 * TFLite-formula modes (mcunet_depthwise.h). */
#include "mcunet_dw_planes.h"

int32_t mcunet_dw_epilogue_get_buffer_size(void)
{
    return 0;
}

void mcunet_dw_epilogue(const mcunet_dw_params_t *p, int32_t oc, const mcunet_dw_job_t *job, int8_t *out)
{
    const int32_t *rq = job->rq; /* channel oc's (M, C, s) or (multiplier, 0, shift) */
    (void)oc;
    const int32_t lo = p->act_min, hi = p->act_max;
    const int32_t *acc = job->acc;
    for (int32_t r = 0; r < job->epi_rows; ++r, out += job->epi_skip) {
        for (int32_t i = 0; i < job->count; ++i) {
            int32_t y;
            if (p->requant_mode == MCUNET_DW_REQUANT_TFLITE) {
                /* accumulators are doubled (weights and bias stored x2): halve exactly */
                y = mcunet_requant_tflite(*acc++ >> 1, rq[0], rq[2], p->output_zp);
            } else {
                y = mcunet_requant_fast(*acc++, rq[0], rq[1], rq[2]);
            }
            *out = (int8_t)mcunet_clamp(y, lo, hi);
            out += job->out_stride;
        }
    }
}
