/*
 * Private to the depthwise plane kernels (scheme and public API: include/mcunet_depthwise.h):
 * helpers shared by the drivers (mcunet_dw_strips.c, mcunet_dw_transposed.c) and the job
 * kernels (mcunet_dwconv_s8_k<K>s<S>.c).
 */
#ifndef MCUNET_DW_PLANES_H
#define MCUNET_DW_PLANES_H

#include "mcunet_depthwise.h"
#include "mcunet_requant.h"

/* A row of `ow` outputs ends in a pair (not a quad) when that wastes less: 1 or 2 left over
 * after at least one quad (== DwLayout.pair_tail in mcunet_core/engine/kernels/depthwise.py) */
static inline int32_t dw_pair_tail(int32_t ow)
{
    return ow > 4 && ((ow & 3) == 1 || (ow & 3) == 2);
}

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

static inline void dw_fill(int16_t *dst, int32_t n, int32_t value)
{
    int32_t i = 0;
    if (((uintptr_t)dst & 2) && n > 0) {
        dst[i++] = (int16_t)value;
    }
    const uint32_t v2 = ((uint32_t)value & 0xFFFFu) * 0x10001u;
    for (; i + 2 <= n; i += 2) {
        dw_st32(dst + i, v2);
    }
    if (i < n) {
        dst[i] = (int16_t)value;
    }
}

/* Channels of the next group: 4, 2 or 1 as the layout's planes and the channels left allow. */
static inline int32_t dw_group_size(const mcunet_dw_params_t *p, int32_t c0)
{
    const int32_t left = p->in_c - c0;
    return (p->groups >= 4 && left >= 4) ? 4 : (p->groups >= 2 && left >= 2) ? 2 : 1;
}

/* A strip batch of channel group [c0, c0 + g) (job->rows/nrows/count are set): one job call
 * that requantizes and stores (epilogue NULL: the fast SSAT mode), else one call per channel
 * followed by the C epilogue. */
static inline void dw_group(const mcunet_dw_params_t *p, mcunet_dw_job_fn job_fn, mcunet_dw_epilogue_fn epilogue,
                            mcunet_dw_job_t *job, int32_t c0, int32_t g, int8_t *out0, const int16_t *rows,
                            int32_t plane)
{
    const int32_t dm = p->depth_multiplier;
    if (!epilogue) { /* the job kernel requantizes and stores: one call per group */
        job->wblock = p->wblock + c0 * dm * p->block_words;
        job->rq = p->requant + 3 * c0 * dm;
        job->out = out0;
        job->nch = g * dm;
        job_fn(job);
        return;
    }
    for (int32_t i = 0; i < g * dm; ++i) { /* one call per channel, requantized here */
        job->rows = rows + (i / dm) * plane;
        job->wblock = p->wblock + (c0 * dm + i) * p->block_words;
        job->nch = 1;
        job_fn(job);
        epilogue(p, c0 * dm + i, job, out0 + i);
    }
}

#endif /* MCUNET_DW_PLANES_H */
