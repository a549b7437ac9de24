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
/* Tap i of the packed int4 weights (two per byte, low nibble first), sign-extended. */
static inline int32_t dw_w4_tap(const uint8_t *w4, int32_t i)
{
    const uint32_t b = w4[i >> 1];
    return (i & 1) ? (int32_t)(int8_t)(uint8_t)b >> 4 : (int32_t)(int8_t)(uint8_t)(b << 4) >> 4;
}

static inline uint32_t dw_w4_pair(int32_t lo, int32_t hi)
{
    return ((uint32_t)(2 * lo) & 0xFFFFu) | ((uint32_t)(2 * hi) << 16);
}

/* The weight blocks of output channels [c, c + n) (layout: mcunet_depthwise.h) from the packed
 * int4 taps (p->w4: channel c's K x K taps from tap c * K * K, in the plane's frame) and the
 * folded biases (p->wblock[c], word 0 of each block): the same words an int8 layer stores. */
static inline void dw_widen_w4_blocks(const mcunet_dw_params_t *p, int32_t c, int32_t n, int32_t *blk)
{
    const int32_t k = p->k;
    for (int32_t ch = c; ch < c + n; ++ch, blk += p->block_words) {
        int32_t *o = blk;
        *o++ = p->wblock[ch];
        for (int32_t ky = 0; ky < k; ++ky) {
            const int32_t r = (ch * k + ky) * k;
            if (p->w4_stride == 1) { /* (w0,w1), (w2,w3), ... then (w1,w2), (w3,w4), ... */
                for (int32_t j = 0; j + 1 < k; j += 2) {
                    *o++ = (int32_t)dw_w4_pair(dw_w4_tap(p->w4, r + j), dw_w4_tap(p->w4, r + j + 1));
                }
                for (int32_t j = 1; j + 1 < k; j += 2) {
                    *o++ = (int32_t)dw_w4_pair(dw_w4_tap(p->w4, r + j), dw_w4_tap(p->w4, r + j + 1));
                }
            } else { /* (w0,w1), (w2,w3), ..., (w[K-1], 0) */
                for (int32_t j = 0; j < k; j += 2) {
                    *o++ = (int32_t)dw_w4_pair(dw_w4_tap(p->w4, r + j), j + 1 < k ? dw_w4_tap(p->w4, r + j + 1) : 0);
                }
            }
        }
    }
}

/* `wscratch` non-NULL (int4 layers): the group's blocks are widened there first. */
static inline void dw_group(const mcunet_dw_params_t *p, mcunet_dw_job_fn job_fn, mcunet_dw_epilogue_fn epilogue,
                            mcunet_dw_job_t *job, int32_t c0, int32_t g, int8_t *out0, const int16_t *rows,
                            int32_t plane, int32_t *wscratch)
{
    const int32_t dm = p->depth_multiplier;
    const int32_t *blocks = p->wblock + c0 * dm * p->block_words;
    if (wscratch) {
        dw_widen_w4_blocks(p, c0 * dm, g * dm, wscratch);
        blocks = wscratch;
    }
    if (!epilogue) { /* the job kernel requantizes and stores: one call per group */
        job->wblock = blocks;
        job->rq = p->requant + 3 * c0 * dm;
        job->out = out0;
        job->nch = g * dm;
        job_fn(job);
        return;
    }
    for (int32_t i = 0; i < g * dm; ++i) { /* one call per channel, requantized here */
        job->rows = rows + (i / dm) * plane;
        job->wblock = blocks + i * p->block_words;
        job->nch = 1;
        job_fn(job);
        epilogue(p, c0 * dm + i, job, out0 + i);
    }
}

#endif /* MCUNET_DW_PLANES_H */
