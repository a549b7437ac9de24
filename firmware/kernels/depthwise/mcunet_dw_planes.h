/*
 * Private to the depthwise plane kernels: the job a kernel call gets, and the shared layer
 * driver (mcunet_dw_planes.c) every mcunet_dwconv_s8_k<K>s<S>.c hands its job kernel to.
 * Scheme and constants: include/mcunet_depthwise.h.
 */
#ifndef MCUNET_DW_PLANES_H
#define MCUNET_DW_PLANES_H

#include "mcunet_depthwise.h"
#include "mcunet_requant.h"

/* One strip batch of `nch` channels for the job kernel (the assembly reads it with LDM:
 * keep the order). Channel i uses plane i / dm, weight block i, requant entry i and writes
 * output byte offset i. */
typedef struct {
    const int16_t *rows;      /* plane 0, first row this batch reads */
    int32_t *acc;             /* dense accumulators (count per channel) */
    const int32_t *wblock;    /* first channel's weight block */
    int8_t *out;              /* first channel's first output of the batch */
    const int32_t *rq;        /* first channel's (M, C, s) */
    int32_t row_stride_bytes; /* bytes between plane rows */
    int32_t vstep_bytes;      /* bytes between the first rows of consecutive output rows */
    int32_t nquads;           /* quads of outputs per row */
    int32_t nrows;            /* output rows */
    int32_t rewind_bytes;     /* 16 * nquads - 4 * out_w: accumulators of a row's partial quad */
    int32_t plane_bytes;
    int32_t dm;               /* channels per plane (depth multiplier) */
    int32_t nch;              /* channels */
    int32_t count;            /* outputs per run (see epi_rows) */
    int32_t out_stride;       /* bytes between the outputs of a run */
    int32_t epilogue;         /* 1: requantize (fast form, SSAT) and store; 0: leave accumulators */
    int32_t epi_rows;         /* runs of `count` outputs per channel */
    int32_t epi_skip;         /* bytes from the byte after a run's last output to the next run */
    int32_t pair;             /* 1: each row ends with a pair of outputs after its nquads quads */
} dw_job_t;

/* A row of `ow` outputs ends in a pair (not a quad) when that wastes less: 1 or 2 left over
 * after at least one quad (== DwLayout.pair_tail in mcunet_core/engine/kernels/depthwise.py) */
static inline int32_t dw_pair_tail(int32_t ow)
{
    return ow > 4 && ((ow & 3) == 1 || (ow & 3) == 2);
}

/* A variant's job kernel: assembly on cores with the DSP extension, else its C twin. */
typedef void (*mcunet_dw_job_fn)(const dw_job_t *job);

/* The layer: strips, widening, slides, groups; `job` computes (and, in the fast requant
 * mode, requantizes and stores) a strip batch of K x K outputs; `block_words` is the
 * packed weight block per channel (1 + K * WPR). */
void mcunet_dw_planes_run(const mcunet_dw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch,
                          mcunet_dw_job_fn job, int32_t k, int32_t block_words);
int32_t mcunet_dw_planes_run_get_buffer_size(void);

/* == mcunet_core/engine/kernels/depthwise.py DwLayout.scratch_bytes */
static inline int32_t dw_buffer_size(int32_t groups, int32_t strip_rows, int32_t row_len, int32_t batch_rows,
                                     int32_t nquads)
{
    return groups * strip_rows * row_len * 2 + batch_rows * nquads * 16;
}

static inline int32_t dw_min(int32_t a, int32_t b)
{
    return a < b ? a : b;
}

static inline uint32_t dw_ld32(const void *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

static inline void dw_st32(void *p, uint32_t v)
{
    __builtin_memcpy(p, &v, 4);
}

#if MCUNET_HAVE_DSP
static inline uint32_t dw_sxtb16(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1" : "=r"(r) : "r"(x));
    return r;
}

static inline uint32_t dw_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
#endif

#endif /* MCUNET_DW_PLANES_H */
