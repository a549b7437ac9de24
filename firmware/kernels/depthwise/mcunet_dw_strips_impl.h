/*
 * Depthwise plane kernels: the layer on strips of int16 channel planes (mcunet_depthwise.h).
 * Channel groups of 4/2/1 are widened (assembly with the DSP extension) into strips of padded
 * rows just in time; each strip batch goes to the variant's job kernel; the strip slides down
 * (rows still needed are moved to its top) between batches.
 *
 * Private to the depthwise plane kernels: the driver's body, shared by mcunet_dw_strips.c
 * (int16 weight blocks in flash; widen NULL), mcunet_dw_strips_w8.c (int8 taps) and
 * mcunet_dw_strips_w4.c (int4 taps): each channel group's blocks are widened once, into the
 * scratch after the accumulators, before its first strip batch.
 */
#ifndef MCUNET_DW_STRIPS_IMPL_H
#define MCUNET_DW_STRIPS_IMPL_H

#include "mcunet_dw_planes.h"

#if MCUNET_HAVE_DSP
/* Widen `rows` consecutive input rows of `pixels` pixels of g = 1, 2 or 4 channels (c_stride
 * bytes apart) into g plane rows each (plane_bytes apart, row_bytes between rows) with
 * SXTB16: per 2 pixels and 4 channels two word loads, PKHBT/PKHTB, four SXTB16 and four word
 * stores (1.75 instructions per element; 2 channels: 2.1; 1 channel: 2.6).
 * a = {pixels, plane bytes, rows, row bytes}. */
#define DW_WIDEN_ARGS                                                                               \
    const int8_t *src __attribute__((unused)), int16_t *dst __attribute__((unused)),              \
        int32_t c_stride __attribute__((unused)), const int32_t *a __attribute__((unused))
/* shared loop: DW_WIDEN_PAIR (2 pixels) and DW_WIDEN_ONE (1 pixel, no pointer update) given;
 * r0 src, r1 dst, r2 c_stride, r3 pixel counter, r12 rows left, lr row start; [sp] pixels,
 * [sp, #4] row bytes */
#define DW_WIDEN_LOOP                                                                       \
    "1:\n"                                                                                  \
    "mov lr, r1\n"                                                                          \
    "ldr r3, [sp]\n"                                                                        \
    "subs r3, r3, #4\n"                                                                     \
    "blt 3f\n"                                                                              \
    "2:\n"                                                                                  \
    "DW_WIDEN_PAIR\n"                                                                       \
    "DW_WIDEN_PAIR\n"                                                                       \
    "subs r3, r3, #4\n"                                                                     \
    "bge 2b\n"                                                                              \
    "3:\n"                                                                                  \
    "adds r3, r3, #4\n"                                                                     \
    "beq 5f\n"                                                                              \
    "cmp r3, #2\n"                                                                          \
    "blt 4f\n"                                                                              \
    "DW_WIDEN_PAIR\n"                                                                       \
    "subs r3, r3, #2\n"                                                                     \
    "beq 5f\n"                                                                              \
    "4:\n"                                                                                  \
    "DW_WIDEN_ONE\n"                                                                        \
    "add r0, r0, r2\n"                                                                      \
    "5:\n"                                                                                  \
    "ldr r3, [sp, #4]\n"                                                                    \
    "add r1, lr, r3\n"                                                                      \
    "subs r12, r12, #1\n"                                                                   \
    "bne 1b\n"                                                                              \
    "add sp, sp, #8\n"                                                                      \
    "pop {r4-r11, pc}\n"                                                                    \
    ".purgem DW_WIDEN_PAIR\n"                                                               \
    ".purgem DW_WIDEN_ONE\n"

#define DW_WIDEN_PROLOGUE                                                                   \
    ".syntax unified\n"                                                                     \
    "push {r4-r11, lr}\n"                                                                   \
    "ldm r3, {r3, r4, r5, r6}\n" /* pixels, plane bytes, rows, row bytes */                \
    "mov r12, r5\n"                                                                         \
    "push {r3, r6}\n"

static void dw_widen4_asm(DW_WIDEN_ARGS) __attribute__((naked, noinline));
static void dw_widen4_asm(DW_WIDEN_ARGS)
{
    __asm__ volatile(
        DW_WIDEN_PROLOGUE
        "add r5, r4, r4\n"
        "add r6, r5, r4\n"
        ".macro DW_WIDEN_PAIR\n"
        "ldr r7, [r0]\n"
        "ldr r8, [r0, r2]\n"
        "add r0, r0, r2, lsl #1\n"
        "pkhbt r9, r7, r8, lsl #16\n"
        "pkhtb r10, r8, r7, asr #16\n"
        "sxtb16 r7, r9, ror #8\n"
        "sxtb16 r8, r10\n"
        "sxtb16 r11, r10, ror #8\n"
        "sxtb16 r9, r9\n"
        "str r7, [r1, r4]\n"
        "str r8, [r1, r5]\n"
        "str r11, [r1, r6]\n"
        "str r9, [r1], #4\n"
        ".endm\n"
        ".macro DW_WIDEN_ONE\n"
        "ldrsb r7, [r0]\n"
        "strh r7, [r1]\n"
        "ldrsb r7, [r0, #1]\n"
        "strh r7, [r1, r4]\n"
        "ldrsb r7, [r0, #2]\n"
        "strh r7, [r1, r5]\n"
        "ldrsb r7, [r0, #3]\n"
        "strh r7, [r1, r6]\n"
        ".endm\n"
        DW_WIDEN_LOOP);
}

static void dw_widen2_asm(DW_WIDEN_ARGS) __attribute__((naked, noinline));
static void dw_widen2_asm(DW_WIDEN_ARGS)
{
    __asm__ volatile(
        DW_WIDEN_PROLOGUE
        ".macro DW_WIDEN_PAIR\n"
        "ldrh r5, [r0]\n"
        "ldrh r6, [r0, r2]\n"
        "add r0, r0, r2, lsl #1\n"
        "pkhbt r5, r5, r6, lsl #16\n"
        "sxtb16 r6, r5, ror #8\n"
        "sxtb16 r5, r5\n"
        "str r6, [r1, r4]\n"
        "str r5, [r1], #4\n"
        ".endm\n"
        ".macro DW_WIDEN_ONE\n"
        "ldrsb r5, [r0]\n"
        "strh r5, [r1]\n"
        "ldrsb r5, [r0, #1]\n"
        "strh r5, [r1, r4]\n"
        ".endm\n"
        DW_WIDEN_LOOP);
}

static void dw_widen1_asm(DW_WIDEN_ARGS) __attribute__((naked, noinline));
static void dw_widen1_asm(DW_WIDEN_ARGS)
{
    __asm__ volatile(
        DW_WIDEN_PROLOGUE
        ".macro DW_WIDEN_PAIR\n"
        "ldrb r5, [r0]\n"
        "ldrb r6, [r0, r2]\n"
        "add r0, r0, r2, lsl #1\n"
        "orr r5, r5, r6, lsl #16\n"
        "sxtb16 r5, r5\n"
        "str r5, [r1], #4\n"
        ".endm\n"
        ".macro DW_WIDEN_ONE\n"
        "ldrsb r5, [r0]\n"
        "strh r5, [r1]\n"
        ".endm\n"
        DW_WIDEN_LOOP);
}
#endif

/* Widen `rows` consecutive input rows. src: first pixel of the first row at the group's
 * first channel; dst: plane row of channel 0 at the first interior column; planes are
 * `plane` int16 apart, rows `rl` int16 apart. */
static void dw_widen(const int8_t *src, int32_t c_stride, int32_t w, int32_t g, int32_t rows, int16_t *dst,
                     int32_t plane, int32_t rl)
{
#if MCUNET_HAVE_DSP
    const int32_t a[4] = {w, plane * 2, rows, rl * 2};
    if (g == 4) {
        dw_widen4_asm(src, dst, c_stride, a);
    } else if (g == 2) {
        dw_widen2_asm(src, dst, c_stride, a);
    } else {
        dw_widen1_asm(src, dst, c_stride, a);
    }
#else
    for (int32_t r = 0; r < rows; ++r, dst += rl) {
        for (int32_t j = 0; j < g; ++j) {
            const int8_t *s = src + j;
            int16_t *d = dst + j * plane;
            for (int32_t x = 0; x < w; ++x) {
                d[x] = *s;
                s += c_stride;
            }
        }
        src += w * c_stride;
    }
#endif
}

/* Copy `words` words from src down to dst (dst < src, word aligned): the strip slide. */
#if MCUNET_HAVE_DSP
static void dw_move_words(uint32_t *dst __attribute__((unused)), const uint32_t *src __attribute__((unused)),
                          int32_t words __attribute__((unused))) __attribute__((naked, noinline));
static void dw_move_words(uint32_t *dst __attribute__((unused)), const uint32_t *src __attribute__((unused)),
                          int32_t words __attribute__((unused)))
{
    __asm__ volatile(
        ".syntax unified\n"
        "push {r4-r9, lr}\n"
        "subs r2, r2, #8\n"
        "blt 2f\n"
        "1:\n"
        "ldm r1!, {r3-r9, lr}\n"
        "stm r0!, {r3-r9, lr}\n"
        "subs r2, r2, #8\n"
        "bge 1b\n"
        "2:\n"
        "adds r2, r2, #8\n"
        "beq 4f\n"
        "3:\n"
        "ldr r3, [r1], #4\n"
        "str r3, [r0], #4\n"
        "subs r2, r2, #1\n"
        "bne 3b\n"
        "4:\n"
        "pop {r4-r9, pc}\n");
}
#else
static void dw_move_words(uint32_t *dst, const uint32_t *src, int32_t words)
{
    for (int32_t i = 0; i < words; ++i) {
        dst[i] = src[i];
    }
}
#endif

static inline void dw_strips_run(const mcunet_dw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch,
                                  mcunet_dw_job_fn job_fn, mcunet_dw_epilogue_fn epilogue, dw_widen_blocks_fn widen)
{
    int32_t *wscratch = widen ? dw_widened_scratch(p, scratch) : 0;
    const int32_t rl = p->row_len, hs = p->strip_rows, plane = hs * rl;
    const int32_t cin = p->in_c, w = p->in_w, h = p->in_h, dm = p->depth_multiplier;
    const int32_t sv = p->stride_v, oh = p->out_h, batch = p->batch_rows;
    const int32_t pt = p->pad_top, pl = p->pad_left, zp = p->input_zp;
    int32_t *acc = (int32_t *)(void *)(scratch + p->groups * plane);
    const int32_t fast = epilogue == 0;
    mcunet_dw_job_t job = {0};
    job.acc = acc;
    job.row_stride_bytes = rl * 2;
    job.vstep_bytes = sv * rl * 2;
    job.pair = dw_pair_tail(p->out_w);
    job.nquads = p->nquads - job.pair;
    job.rewind_bytes = 16 * job.nquads + 8 * job.pair - 4 * p->out_w;
    job.plane_bytes = plane * 2;
    job.dm = fast ? dm : 1;
    job.out_stride = p->out_c;
    job.epilogue = fast;
    job.epi_rows = 1;

    /* Borders (and the columns only partial quads read) hold the input zero point for the
     * whole layer: row fills write interior columns only and moves copy whole rows. When one
     * batch covers the layer, the strip never slides: padding rows keep the zero point too. */
    dw_fill(scratch, p->groups * plane, zp);
    const int32_t sliding = batch < oh;
    if (!sliding) { /* the strip holds every padded row: one widening and one job per group */
        job.rows = scratch;
        job.nrows = oh;
        job.count = oh * p->out_w;
        for (int32_t c0 = 0; c0 < cin;) {
            const int32_t g = dw_group_size(p, c0);
            const int32_t r0 = pt < 0 ? -pt : 0;
            const int32_t rows = dw_min(h, hs - pt) - r0;
            if (rows > 0) {
                dw_widen(in + r0 * w * cin + c0, cin, w, g, rows, scratch + (pt + r0) * rl + pl, plane, rl);
            }
            const int32_t *rq;
            const int32_t *blocks = dw_group_blocks(p, c0, g, widen, wscratch, &rq);
            dw_group(p, job_fn, epilogue, &job, c0, g, out + c0 * dm, scratch, plane, widen, blocks, rq);
            c0 += g;
        }
        return;
    }

    for (int32_t c0 = 0; c0 < cin;) {
        const int32_t g = dw_group_size(p, c0);
        const int32_t *rq;
        const int32_t *blocks = dw_group_blocks(p, c0, g, widen, wscratch, &rq);
        int32_t base = 0; /* padded row held by slot 0 */
        int32_t next = 0; /* next padded row to fill */
        for (int32_t oy0 = 0; oy0 < oh; oy0 += batch) {
            const int32_t n = dw_min(batch, oh - oy0);
            const int32_t first = oy0 * sv, last = (oy0 + n - 1) * sv + p->k;
            if (last - base > hs) { /* slide: keep rows [first, next) */
                const int32_t keep = next - first;
                if (keep > 0) {
                    for (int32_t j = 0; j < g; ++j) {
                        int16_t *pj = scratch + j * plane;
                        dw_move_words((uint32_t *)(void *)pj, (const uint32_t *)(const void *)(pj + (first - base) * rl),
                                      keep * rl / 2);
                    }
                }
                base = first;
                if (next < first) {
                    next = first;
                }
            }
            while (next < last) {
                int16_t *dst = scratch + (next - base) * rl + pl;
                const int32_t r = next - pt;
                if (r >= 0 && r < h) { /* every input row up to `last` in one call */
                    const int32_t rows = dw_min(last, pt + h) - next;
                    dw_widen(in + (r * w) * cin + c0, cin, w, g, rows, dst, plane, rl);
                    next += rows;
                } else {
                    if (sliding) {
                        for (int32_t j = 0; j < g; ++j) {
                            dw_fill(dst + j * plane, w, zp);
                        }
                    }
                    ++next;
                }
            }
            job.rows = scratch + (first - base) * rl;
            job.nrows = n;
            job.count = n * p->out_w;
            dw_group(p, job_fn, epilogue, &job, c0, g, out + oy0 * p->out_w * p->out_c + c0 * dm, scratch + (first - base) * rl, plane, widen, blocks, rq);
        }
        c0 += g;
    }
}

#endif /* MCUNET_DW_STRIPS_IMPL_H */
