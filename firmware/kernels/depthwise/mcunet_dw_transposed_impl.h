/*
 * Depthwise plane kernels: the layer on transposed whole planes (mcunet_depthwise.h) for
 * layers much taller than wide. Plane row = input column, plane column = input row, so the
 * quads run down the columns; a group's outputs are written after all its input was widened.
 *
 * Private to the depthwise plane kernels: the driver's body, shared by mcunet_dw_transposed.c
 * (int16 weight blocks in flash; widen NULL), mcunet_dw_transposed_w8.c (int8 taps) and
 * mcunet_dw_transposed_w4.c (int4 taps): each channel group's blocks are widened into the
 * scratch after the accumulators before its jobs.
 */
#ifndef MCUNET_DW_TRANSPOSED_IMPL_H
#define MCUNET_DW_TRANSPOSED_IMPL_H

#include "mcunet_dw_planes.h"

static void dw_widen_t(const int8_t *in, const mcunet_dw_params_t *p, int32_t c0, int32_t g, int16_t *scratch,
                       int32_t plane)
{
    const int32_t rl = p->row_len, h = p->in_h, cin = p->in_c;
    /* input columns no output reads (a stride leaving the last ones out) are not widened */
    const int32_t w = dw_min(p->in_w, p->strip_rows - p->pad_left), below = p->in_w * cin;
    int16_t *base = scratch + p->pad_left * rl + p->pad_top; /* input (y, x) -> base[x * rl + y] */
    int32_t r0 = 0, r1 = 0; /* input rows [r0, r1) go in pairs: one word per plane and column */
#if MCUNET_HAVE_DSP
    r0 = p->pad_top & 1; /* word aligned plane columns */
    r1 = r0 + ((h - r0) & ~1);
    for (int32_t r = r0; r < r1; r += 2) {
        const int8_t *s0 = in + r * below + c0; /* `below`: the same pixel one input row down */
        int16_t *d = base + r;
        if (g == 4) {
            for (int32_t x = 0; x < w; ++x, s0 += cin, d += rl) {
                const uint32_t a = dw_ld32(s0), b = dw_ld32(s0 + below);
                uint32_t lo, hi;
                __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(lo) : "r"(a), "r"(b));
                __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(hi) : "r"(b), "r"(a));
                dw_st32(d, dw_sxtb16(lo));
                dw_st32(d + plane, dw_sxtb16_ror8(lo));
                dw_st32(d + 2 * plane, dw_sxtb16(hi));
                dw_st32(d + 3 * plane, dw_sxtb16_ror8(hi));
            }
        } else if (g == 2) {
            for (int32_t x = 0; x < w; ++x, s0 += cin, d += rl) {
                uint16_t a, b;
                __builtin_memcpy(&a, s0, 2);
                __builtin_memcpy(&b, s0 + below, 2);
                const uint32_t t = (uint32_t)a | ((uint32_t)b << 16);
                dw_st32(d, dw_sxtb16(t));
                dw_st32(d + plane, dw_sxtb16_ror8(t));
            }
        } else {
            for (int32_t x = 0; x < w; ++x, s0 += cin, d += rl) {
                dw_st32(d, dw_sxtb16((uint32_t)(uint8_t)s0[0] | ((uint32_t)(uint8_t)s0[below] << 16)));
            }
        }
    }
#endif
    for (int32_t r = 0; r < h; ++r) {
        if (r == r0 && r1 > r0) { /* done in pairs */
            r = r1 - 1;
            continue;
        }
        for (int32_t j = 0; j < g; ++j) {
            const int8_t *s0 = in + r * below + c0 + j;
            int16_t *d = base + j * plane + r;
            for (int32_t x = 0; x < w; ++x) {
                d[x * rl] = s0[x * cin];
            }
        }
    }
}

static inline void dw_transposed_run(const mcunet_dw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch,
                                  mcunet_dw_job_fn job_fn, mcunet_dw_epilogue_fn epilogue, dw_widen_blocks_fn widen)
{
    int32_t *wscratch = widen ? dw_widened_scratch(p, scratch) : 0;
    const int32_t rl = p->row_len, plane = p->strip_rows * rl;
    const int32_t cin = p->in_c, dm = p->depth_multiplier;
    const int32_t fast = epilogue == 0;
    mcunet_dw_job_t job = {0};
    job.rows = scratch;
    job.acc = (int32_t *)(void *)(scratch + p->groups * plane);
    job.row_stride_bytes = rl * 2;
    job.vstep_bytes = p->stride_v * rl * 2;
    job.pair = dw_pair_tail(p->out_h);
    job.nquads = p->nquads - job.pair;
    job.nrows = p->out_w;                      /* plane rows of outputs: one per output column */
    job.rewind_bytes = 16 * job.nquads + 8 * job.pair - 4 * p->out_h;
    job.plane_bytes = plane * 2;
    job.dm = fast ? dm : 1;
    job.count = p->out_h;                      /* a plane row of outputs is an output column */
    job.out_stride = p->out_w * p->out_c;
    job.epilogue = fast;
    job.epi_rows = p->out_w;
    job.epi_skip = p->out_c - p->out_h * job.out_stride;
    dw_fill(scratch, p->groups * plane, p->input_zp);
    for (int32_t c0 = 0; c0 < cin;) {
        const int32_t g = dw_group_size(p, c0);
        dw_widen_t(in, p, c0, g, scratch, plane);
        const int32_t *rq;
        const int32_t *blocks = dw_group_blocks(p, c0, g, widen, wscratch, &rq);
        dw_group(p, job_fn, epilogue, &job, c0, g, out + c0 * dm, scratch, plane, widen, blocks, rq);
        c0 += g;
    }
}

#endif /* MCUNET_DW_TRANSPOSED_IMPL_H */
