/*
 * Pixel-pair driver of the im2col convolutions (w16, w8 and w4 weight formats).
 * Private to firmware/kernels: include only from a kernel file.
 *
 * A pixel's receptive field is k_h rows of k_w * in_c taps. Where it lies inside the
 * input (and taps are contiguous along x) the rows are widened straight from the input;
 * otherwise they are first staged as int8 with padding taps set to the input zero point,
 * which the folded bias cancels exactly as TFLite skips them. Both pixels of a pair are
 * read before any of their outputs is written, pairs go in row-major output order, and
 * output row r reads input rows >= r * stride_h - pad_top only (the declared overlap rule).
 * Scratch: x of `batch` pixel pairs (16 bytes per 4 taps each), then two staging fields of
 * k_h * k_w * in_c bytes.
 */
#ifndef MCUNET_IM2COL_DRIVER_H
#define MCUNET_IM2COL_DRIVER_H

#include "../pointwise/mcunet_pw_impl.h"

static inline void mcunet_fill_s8(int8_t *dst, int8_t v, int32_t n)
{
    for (; n > 0; --n) {
        *dst++ = v;
    }
}

static inline void mcunet_copy_s8(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n > 0; --n) {
        *dst++ = *src++;
    }
}

/* Stage the receptive field at (y0, x0) as k_h rows of k_w * in_c taps, padding taps = zp. */
static void mcunet_im2col_stage(const mcunet_im2col_params_t *p, const int8_t *in, int32_t y0, int32_t x0,
                                int8_t *dst)
{
    const int32_t c = p->in_c;
    const int32_t span = p->k_w * c;
    const int8_t zp = (int8_t)p->input_zp;
    for (int32_t ky = 0; ky < p->k_h; ++ky, dst += span) {
        const int32_t iy = y0 + ky * p->dil_h;
        if (iy < 0 || iy >= p->in_h) {
            mcunet_fill_s8(dst, zp, span);
            continue;
        }
        const int8_t *row = in + iy * p->in_w * c;
        if (p->dil_w == 1) { /* zero-point run, input run, zero-point run */
            const int32_t lo = x0 < 0 ? -x0 : 0;
            int32_t hi = p->in_w - x0;
            hi = hi > p->k_w ? p->k_w : (hi < lo ? lo : hi);
            mcunet_fill_s8(dst, zp, lo * c);
            mcunet_copy_s8(dst + lo * c, row + (x0 + lo) * c, (hi - lo) * c);
            mcunet_fill_s8(dst + hi * c, zp, (p->k_w - hi) * c);
            continue;
        }
        for (int32_t kx = 0; kx < p->k_w; ++kx) {
            const int32_t ix = x0 + kx * p->dil_w;
            if (ix < 0 || ix >= p->in_w) {
                mcunet_fill_s8(dst + kx * c, zp, c);
            } else {
                mcunet_copy_s8(dst + kx * c, row + ix * c, c);
            }
        }
    }
}

/* Output pixels in row-major order with their receptive field's top-left input corner. */
typedef struct {
    int32_t ox, y0, x0;
    int32_t rows_inside; /* all k_h rows of the field lie inside the input */
    int32_t row_offset;  /* y0 * in_w * in_c (meaningful when rows_inside) */
} mcunet_im2col_cursor_t;

static inline void mcunet_im2col_row(const mcunet_im2col_params_t *p, mcunet_im2col_cursor_t *c)
{
    c->ox = 0;
    c->x0 = -p->pad_left;
    c->rows_inside = c->y0 >= 0 && c->y0 + (p->k_h - 1) * p->dil_h < p->in_h;
    c->row_offset = c->y0 * p->in_w * p->in_c;
}

/* The receptive field at the cursor (first row, *step bytes between rows); then advance. */
static inline const int8_t *mcunet_im2col_next(const mcunet_im2col_params_t *p, mcunet_im2col_cursor_t *c,
                                               const int8_t *in, int8_t *stage, int32_t *step)
{
    const int8_t *field;
    if (c->rows_inside && p->dil_w == 1 && c->x0 >= 0 && c->x0 + p->k_w <= p->in_w) {
        *step = p->in_w * p->in_c * p->dil_h;
        field = in + c->row_offset + c->x0 * p->in_c;
    } else {
        mcunet_im2col_stage(p, in, c->y0, c->x0, stage);
        *step = p->k_w * p->in_c;
        field = stage;
    }
    c->x0 += p->stride_w;
    if (++c->ox == p->out_w) {
        c->y0 += p->stride_h;
        mcunet_im2col_row(p, c);
    }
    return field;
}

static inline void mcunet_im2col_run(const mcunet_im2col_params_t *p, const int8_t *in, int8_t *out, int16_t *x,
                                     mcunet_pw_core_fn core, int32_t fmt)
{
    const int32_t span = p->k_w * p->in_c;
    const int32_t taps = p->k_h * span;
    const int32_t groups = (taps + 3) >> 2;
    const int32_t oc = p->out_c;
    int8_t *const stage0 = (int8_t *)(x + 8 * groups * p->batch);
    int8_t *const stage1 = stage0 + taps;
    mcunet_im2col_cursor_t cur = {0, -p->pad_top, 0, 0, 0};
    mcunet_im2col_row(p, &cur);
    for (int32_t remaining = p->out_h * p->out_w; remaining > 0;) {
        const int32_t lone = remaining == 1;
        const int32_t k = lone ? 1 : (remaining / 2 < p->batch ? remaining / 2 : p->batch);
        for (int32_t j = 0; j < k; ++j) {
            int32_t a_step, b_step;
            const int8_t *a = mcunet_im2col_next(p, &cur, in, stage0, &a_step);
            const int8_t *b = a;
            b_step = a_step;
            if (!lone) {
                b = mcunet_im2col_next(p, &cur, in, stage1, &b_step);
            }
            mcunet_widen_rows(a, a_step, b, b_step, p->k_h, span, x + 8 * groups * j);
        }
        mcunet_pw_cores(core, fmt, x, p->blob, out, lone ? 0 : oc, k, 2 * oc, oc, groups, p->clamp);
        out += (lone ? 1 : 2 * k) * oc;
        remaining -= lone ? 1 : 2 * k;
    }
}

#endif /* MCUNET_IM2COL_DRIVER_H */
