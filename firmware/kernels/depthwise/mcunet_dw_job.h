/*
 * Per-variant part of a depthwise plane kernel: included by mcunet_dwconv_s8_k<K>s<S>.c
 * after it defines DW_K and DW_S. Provides the job kernel's plain-C twin (same packed
 * constants, same accumulators, same stores as the assembly), used as the job kernel on
 * cores without the DSP extension.
 */
#ifndef MCUNET_DW_JOB_H
#define MCUNET_DW_JOB_H

#include "mcunet_dw_planes.h"

#if !defined(DW_K) || !defined(DW_S)
#error "define DW_K and DW_S before including mcunet_dw_job.h"
#endif

/* packed weight words per kernel row, and per output channel (bias word first) */
#define DW_WPR (DW_S == 1 ? DW_K - 1 : (DW_K + 1) / 2)
#define DW_BLOCK (1 + DW_K * DW_WPR)

#if !MCUNET_HAVE_DSP
/* ---- the row kernel's plain-C twin: same packed constants, same accumulators --------- */

static inline int32_t dw_weight(const int32_t *row_words, int32_t kx)
{
    int32_t word, hi;
    if (DW_S == 1 && kx == DW_K - 1) {
        word = DW_K - 2; /* (w[K-2], w[K-1]): the last V word, high half */
        hi = 1;
    } else {
        word = kx >> 1;
        hi = kx & 1;
    }
    const uint32_t v = (uint32_t)row_words[word];
    return hi ? (int32_t)(int16_t)(v >> 16) : (int32_t)(int16_t)(v & 0xFFFFu);
}

/* Accumulators of one channel: nrows output rows, row r starting at in + r * vstep, stored
 * densely (out_w per row): like the assembly, every quad (and pair) is computed and stored
 * whole, and the next row's accumulators overwrite a partial one's throwaway values. */
static void dw_rows_c(const int16_t *in, int32_t *acc, const int32_t *blk, const mcunet_dw_job_t *job)
{
    const int32_t rs = job->row_stride_bytes / 2;
    const int32_t vs = job->vstep_bytes / 2;
    const int32_t n = 4 * job->nquads + 2 * job->pair;
    const int32_t ow = n - job->rewind_bytes / 4;
    for (int32_t r = 0; r < job->nrows; ++r, acc += ow) {
        const int16_t *row0 = in + r * vs;
        for (int32_t ox = 0; ox < n; ++ox) {
            int32_t a = blk[0];
            for (int32_t ky = 0; ky < DW_K; ++ky) {
                const int16_t *x = row0 + ky * rs + ox * DW_S;
                const int32_t *w = blk + 1 + ky * DW_WPR;
                for (int32_t kx = 0; kx < DW_K; ++kx) {
                    a += (int32_t)x[kx] * dw_weight(w, kx);
                }
            }
            acc[ox] = a;
        }
    }
}

/* The job kernel's plain-C twin. */
static void dw_job_c(const mcunet_dw_job_t *job)
{
    const int16_t *plane = job->rows;
    const int32_t *blk = job->wblock, *rq = job->rq;
    int8_t *out = job->out;
    for (int32_t i = 0, m = 0; i < job->nch; ++i) {
        dw_rows_c(plane, job->acc, blk, job);
        if (job->epilogue) {
            int8_t *o = out;
            const int32_t *a = job->acc;
            for (int32_t r = 0; r < job->epi_rows; ++r, o += job->epi_skip) {
                for (int32_t k = 0; k < job->count; ++k) {
                    const int32_t y = mcunet_requant_fast(*a++, rq[0], rq[1], rq[2]);
                    *o = (int8_t)mcunet_clamp(y, -128, 127);
                    o += job->out_stride;
                }
            }
        }
        blk += DW_BLOCK;
        rq += 3;
        out += 1;
        if (++m == job->dm) {
            m = 0;
            plane += job->plane_bytes / 2;
        }
    }
}
#endif

#define DW_JOB_ASM_ARGS const mcunet_dw_job_t *job __attribute__((unused))

/* The variant's public job kernel (naked assembly with the DSP extension, the argument stays
 * in r0) and its buffer-size twin (a job uses its caller's scratch). */
#define DW_DEFINE_VARIANT(name)                                                                              \
    int32_t name##_get_buffer_size(void)                                                                     \
    {                                                                                                        \
        return 0;                                                                                            \
    }

#endif /* MCUNET_DW_JOB_H */
