/*
 * The depthwise plane kernels' shared layer driver (scheme: include/mcunet_depthwise.h):
 * strips of int16 channel planes filled just in time, widening (assembly with the DSP
 * extension), strip slides, channel groups, transposed planes, and the clamp / TFLite
 * requantization epilogues. Each mcunet_dwconv_s8_k<K>s<S>.c passes its job kernel in, so
 * a model with several kernel sizes links this code once.
 */
#include "mcunet_dw_planes.h"

int32_t mcunet_dw_planes_run_get_buffer_size(void)
{
    return 0; /* the variants' twins give the scratch */
}

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

static void dw_fill(int16_t *dst, int32_t n, int32_t value)
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

/* ---- epilogue for the clamp and TFLite modes: requantize one channel's accumulators -------- */

static void dw_epilogue(const mcunet_dw_params_t *p, int32_t oc, const dw_job_t *job, int8_t *out)
{
    const int32_t *rq = p->requant + 3 * oc;
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

/* ---- the layer ----------------------------------------------------------------------- */

/* Compute a strip batch of channel group [c0, c0 + g): job->rows/nrows/count are set. */
typedef struct {
    mcunet_dw_job_fn job;
    int32_t k, block; /* kernel size, weight words per channel */
} dw_variant_t;

static void dw_group(const mcunet_dw_params_t *p, const dw_variant_t *v, dw_job_t *job, int32_t c0, int32_t g,
                     int8_t *out0, const int16_t *rows, int32_t plane, int32_t fast)
{
    const int32_t dm = p->depth_multiplier;
    if (fast) { /* the job kernel requantizes and stores: one call per group */
        job->wblock = p->wblock + c0 * dm * v->block;
        job->rq = p->requant + 3 * c0 * dm;
        job->out = out0;
        job->nch = g * dm;
        v->job(job);
        return;
    }
    for (int32_t i = 0; i < g * dm; ++i) { /* one call per channel, requantized here */
        job->rows = rows + (i / dm) * plane;
        job->wblock = p->wblock + (c0 * dm + i) * v->block;
        job->nch = 1;
        v->job(job);
        dw_epilogue(p, c0 * dm + i, job, out0 + i);
    }
}

/* Transposed planes (layers much taller than wide): plane row = input column, plane column =
 * input row, so quads run down the columns. The strip holds the whole plane (it never
 * slides): a group's outputs are written after all its input was widened. */
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

static void dw_run_transposed(const mcunet_dw_params_t *p, const dw_variant_t *v, const int8_t *in, int8_t *out,
                              int16_t *scratch)
{
    const int32_t rl = p->row_len, plane = p->strip_rows * rl;
    const int32_t cin = p->in_c, dm = p->depth_multiplier;
    const int32_t fast = p->requant_mode == MCUNET_DW_REQUANT_FAST_SSAT;
    dw_job_t job = {0};
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
        const int32_t left = cin - c0;
        const int32_t g = (p->groups >= 4 && left >= 4) ? 4 : (p->groups >= 2 && left >= 2) ? 2 : 1;
        dw_widen_t(in, p, c0, g, scratch, plane);
        dw_group(p, v, &job, c0, g, out + c0 * dm, scratch, plane, fast);
        c0 += g;
    }
}

void mcunet_dw_planes_run(const mcunet_dw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch,
                          mcunet_dw_job_fn job_fn, int32_t k, int32_t block_words)
{
    const dw_variant_t variant = {job_fn, k, block_words}, *v = &variant;
    if (p->transposed) {
        dw_run_transposed(p, v, in, out, scratch);
        return;
    }
    const int32_t rl = p->row_len, hs = p->strip_rows, plane = hs * rl;
    const int32_t cin = p->in_c, w = p->in_w, h = p->in_h, dm = p->depth_multiplier;
    const int32_t sv = p->stride_v, oh = p->out_h, batch = p->batch_rows;
    const int32_t pt = p->pad_top, pl = p->pad_left, zp = p->input_zp;
    int32_t *acc = (int32_t *)(void *)(scratch + p->groups * plane);
    const int32_t fast = p->requant_mode == MCUNET_DW_REQUANT_FAST_SSAT;
    dw_job_t job = {0};
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
            const int32_t left = cin - c0;
            const int32_t g = (p->groups >= 4 && left >= 4) ? 4 : (p->groups >= 2 && left >= 2) ? 2 : 1;
            const int32_t r0 = pt < 0 ? -pt : 0;
            const int32_t rows = dw_min(h, hs - pt) - r0;
            if (rows > 0) {
                dw_widen(in + r0 * w * cin + c0, cin, w, g, rows, scratch + (pt + r0) * rl + pl, plane, rl);
            }
            dw_group(p, v, &job, c0, g, out + c0 * dm, scratch, plane, fast);
            c0 += g;
        }
        return;
    }

    for (int32_t c0 = 0; c0 < cin;) {
        const int32_t left = cin - c0;
        const int32_t g = (p->groups >= 4 && left >= 4) ? 4 : (p->groups >= 2 && left >= 2) ? 2 : 1;
        int32_t base = 0; /* padded row held by slot 0 */
        int32_t next = 0; /* next padded row to fill */
        for (int32_t oy0 = 0; oy0 < oh; oy0 += batch) {
            const int32_t n = dw_min(batch, oh - oy0);
            const int32_t first = oy0 * sv, last = (oy0 + n - 1) * sv + v->k;
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
            dw_group(p, v, &job, c0, g, out + oy0 * p->out_w * p->out_c + c0 * dm, scratch + (first - base) * rl, plane,
                     fast);
        }
        c0 += g;
    }
}
