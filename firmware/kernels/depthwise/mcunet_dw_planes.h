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

/* The weight blocks and requantization records of channel group [c0, c0 + g): in flash
 * (wblock as int16 pairs, requant as 3 words per channel; widen NULL), else widened into
 * `wscratch` (the *_w8 / *_w4 drivers, once per group) from the taps and the 2-word records
 * in flash: blocks first (groups x dm of them), then the group's 3-word records. */
typedef void (*dw_widen_blocks_fn)(const mcunet_dw_params_t *p, int32_t c, int32_t n, int32_t *blk);

/* (M, s) -> (M, C, s) of mcunet_requant.h's fast form, C = 2^(s-1) + zp * 2^s (wrapping as the
 * int32 the generator would store), or (multiplier, shift) -> (multiplier, 0, shift). */
static void dw_widen_records(const mcunet_dw_params_t *p, int32_t c, int32_t n, int32_t *rq)
    __attribute__((unused, noinline));
static void dw_widen_records(const mcunet_dw_params_t *p, int32_t c, int32_t n, int32_t *rq)
{
    const int32_t *src = p->requant + 2 * c;
    const int32_t tflite = p->requant_mode == MCUNET_DW_REQUANT_TFLITE;
    for (int32_t i = 0; i < n; ++i, src += 2, rq += 3) {
        const int32_t m = src[0], sh = src[1];
        rq[0] = m;
        rq[1] = tflite ? 0 : (int32_t)((1u << (sh - 1)) + ((uint32_t)p->output_zp << sh));
        rq[2] = sh;
    }
}

static inline const int32_t *dw_group_blocks(const mcunet_dw_params_t *p, int32_t c0, int32_t g,
                                             dw_widen_blocks_fn widen, int32_t *wscratch, const int32_t **rq)
{
    const int32_t dm = p->depth_multiplier;
    if (!widen) { /* NULL: dw_group reads them from flash */
        *rq = 0;
        return 0;
    }
    int32_t *records = wscratch + p->groups * dm * p->block_words;
    widen(p, c0 * dm, g * dm, wscratch);
    dw_widen_records(p, c0 * dm, g * dm, records);
    *rq = records;
    return wscratch;
}

/* Widened weight blocks and records sit in the scratch after the planes and accumulators. */
static inline int32_t *dw_widened_scratch(const mcunet_dw_params_t *p, int16_t *scratch)
{
    const int32_t before = dw_buffer_size(p->groups, p->strip_rows, p->row_len, p->batch_rows, p->nquads);
    return (int32_t *)(void *)((int8_t *)scratch + before);
}

/* A strip batch of channel group [c0, c0 + g) (job->rows/nrows/count are set) with the group's
 * weight blocks and records (widen NULL: in flash, read here): one job call that requantizes and stores (epilogue NULL: the fast
 * SSAT mode), else one call per channel followed by the C epilogue (job->rq: its record). */
static inline void dw_group(const mcunet_dw_params_t *p, mcunet_dw_job_fn job_fn, mcunet_dw_epilogue_fn epilogue,
                            mcunet_dw_job_t *job, int32_t c0, int32_t g, int8_t *out0, const int16_t *rows,
                            int32_t plane, dw_widen_blocks_fn widen, const int32_t *blocks, const int32_t *rq)
{
    const int32_t dm = p->depth_multiplier;
    if (!widen) { /* in flash (the int16-block drivers; blocks and rq NULL) */
        blocks = p->wblock + c0 * dm * p->block_words;
        rq = p->requant + 3 * c0 * dm;
    }
    if (!epilogue) { /* the job kernel requantizes and stores: one call per group */
        job->wblock = blocks;
        job->rq = rq;
        job->out = out0;
        job->nch = g * dm;
        job_fn(job);
        return;
    }
    for (int32_t i = 0; i < g * dm; ++i) { /* one call per channel, requantized here */
        job->rows = rows + (i / dm) * plane;
        job->wblock = blocks + i * p->block_words;
        job->rq = rq + 3 * i;
        job->nch = 1;
        job_fn(job);
        epilogue(p, c0 * dm + i, job, out0 + i);
    }
}

#endif /* MCUNET_DW_PLANES_H */
