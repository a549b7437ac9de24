/*
 * Private to the depthwise plane kernels: weight blocks widened at run time from the taps
 * flash keeps (the *_w8 and *_w4 drivers). p->taps holds channel c's K x K taps (plane frame,
 * row-major) from tap c * K * K: int8 one per byte (w8), or int4 two per byte, low nibble
 * first (w4); p->wblock holds word 0 of each block (the folded bias). The widened words are
 * the ones an int16-block layer stores (layout: mcunet_depthwise.h), so every job kernel
 * computes the same bits.
 */
#ifndef MCUNET_DW_TAPS_H
#define MCUNET_DW_TAPS_H

#include "mcunet_dw_planes.h"

static inline int32_t dw_w8_tap(const void *taps, int32_t i)
{
    return ((const int8_t *)taps)[i];
}

/* Tap i of the packed int4 weights (two per byte, low nibble first), sign-extended. */
static inline int32_t dw_w4_tap(const void *taps, int32_t i)
{
    const uint32_t b = ((const uint8_t *)taps)[i >> 1];
    return (i & 1) ? (int32_t)(int8_t)(uint8_t)b >> 4 : (int32_t)(int8_t)(uint8_t)(b << 4) >> 4;
}

/* (2 lo, 2 hi) as an int16 pair, low half first: doubled for the fast requantization. */
static inline int32_t dw_tap_pair(int32_t lo, int32_t hi)
{
    return (int32_t)(((uint32_t)(2 * lo) & 0xFFFFu) | ((uint32_t)(2 * hi) << 16));
}

typedef int32_t (*dw_tap_fn)(const void *taps, int32_t i);

/* The weight blocks of output channels [c, c + n) into blk, taps read by `tap` (inlined). */
static inline void dw_widen_taps(const mcunet_dw_params_t *p, int32_t c, int32_t n, int32_t *blk, dw_tap_fn tap)
{
    const int32_t k = p->k;
    const void *t = p->taps;
    for (int32_t ch = c; ch < c + n; ++ch, blk += p->block_words) {
        int32_t *o = blk;
        *o++ = p->wblock[ch];
        for (int32_t ky = 0; ky < k; ++ky) {
            const int32_t r = (ch * k + ky) * k;
            if (p->tap_stride == 1) { /* (w0,w1), (w2,w3), ... then (w1,w2), (w3,w4), ... */
                for (int32_t j = 0; j + 1 < k; j += 2) {
                    *o++ = dw_tap_pair(tap(t, r + j), tap(t, r + j + 1));
                }
                for (int32_t j = 1; j + 1 < k; j += 2) {
                    *o++ = dw_tap_pair(tap(t, r + j), tap(t, r + j + 1));
                }
            } else { /* (w0,w1), (w2,w3), ..., (w[K-1], 0) */
                for (int32_t j = 0; j < k; j += 2) {
                    *o++ = dw_tap_pair(tap(t, r + j), j + 1 < k ? tap(t, r + j + 1) : 0);
                }
            }
        }
    }
}

static void dw_widen_w8_blocks(const mcunet_dw_params_t *p, int32_t c, int32_t n, int32_t *blk)
    __attribute__((unused, noinline));
static void dw_widen_w8_blocks(const mcunet_dw_params_t *p, int32_t c, int32_t n, int32_t *blk)
{
    dw_widen_taps(p, c, n, blk, dw_w8_tap);
}

static void dw_widen_w4_blocks(const mcunet_dw_params_t *p, int32_t c, int32_t n, int32_t *blk)
    __attribute__((unused, noinline));
static void dw_widen_w4_blocks(const mcunet_dw_params_t *p, int32_t c, int32_t n, int32_t *blk)
{
    dw_widen_taps(p, c, n, blk, dw_w4_tap);
}

#endif /* MCUNET_DW_TAPS_H */
