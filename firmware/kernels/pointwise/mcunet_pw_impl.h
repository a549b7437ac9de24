/*
 * Helpers and the pixel-pair driver shared by the pointwise, fully connected and im2col
 * kernels (data layout: mcunet_pointwise.h). Private to firmware/kernels: include only
 * from a kernel file.
 *
 * Order of work, which the Python kernels' memory rules declare: both input pixels of a
 * pair are widened into the scratch before any output of the pair is written, and pairs go
 * in increasing pixel order (decreasing with `reverse`: pointwise.py's InPlace bound); a
 * lone pixel is run as a pair with itself, storing its outputs twice to the same bytes.
 */
#ifndef MCUNET_PW_IMPL_H
#define MCUNET_PW_IMPL_H

#include "mcunet_pointwise.h"

/* Weight formats of the records (the `fmt` argument below). */
#define MCUNET_PW_W16 0 /* int16 pre-widened, doubled */
#define MCUNET_PW_W8 1  /* int8, widened in the loop */
#define MCUNET_PW_W4 2  /* int4 packed two per byte, widened in the loop; bias stored x 16 */

static inline int32_t mcunet_pw_record_words(int32_t groups, int32_t fmt, int32_t clamp)
{
    const int32_t words = fmt == MCUNET_PW_W16 ? 4 + 4 * groups + 6
                          : fmt == MCUNET_PW_W8 ? 2 + 2 * groups + 5
                                                : 2 + groups + 5;
    return words + (clamp ? 2 : 0);
}

static inline uint32_t mcunet_load32(const void *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

#if MCUNET_HAVE_DSP
static inline uint32_t mcunet_sxtb16(uint32_t v)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1" : "=r"(r) : "r"(v));
    return r;
}

static inline uint32_t mcunet_sxtb16_ror8(uint32_t v)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
#endif

typedef uint32_t mcunet_word_alias_t __attribute__((may_alias));

/* Widen one group of 4 int8 taps of both pixels (words a, b) into 4 scratch words. */
static inline void mcunet_pw_widen_group(uint32_t a, uint32_t b, int16_t *x)
{
#if MCUNET_HAVE_DSP
    mcunet_word_alias_t *w = (mcunet_word_alias_t *)x;
    w[0] = mcunet_sxtb16(a);
    w[1] = mcunet_sxtb16_ror8(a);
    w[2] = mcunet_sxtb16(b);
    w[3] = mcunet_sxtb16_ror8(b);
#else
    x[0] = (int8_t)a;
    x[1] = (int8_t)(a >> 16);
    x[2] = (int8_t)(a >> 8);
    x[3] = (int8_t)(a >> 24);
    x[4] = (int8_t)b;
    x[5] = (int8_t)(b >> 16);
    x[6] = (int8_t)(b >> 8);
    x[7] = (int8_t)(b >> 24);
#endif
}

/* Widen `rows` rows of `words` groups of both pixels (4 taps per group, unaligned loads);
 * row r of pixel a starts at a + r * a_step (b likewise). Returns the x after them. */
static inline int16_t *mcunet_widen_words(const int8_t *a, int32_t a_step, const int8_t *b, int32_t b_step,
                                          int32_t words, int32_t rows, int16_t *x)
{
#if MCUNET_HAVE_DSP
    int32_t a_skip = a_step - 4 * words, b_skip = b_step - 4 * words;
    int32_t left;
    uint32_t t0, t1;
    __asm__ volatile(
        "1:\n\t"
        "mov     %[left], %[words]\n\t"
        "2:\n\t"
        "ldr     %[t1], [%[a]], #4\n\t"
        "sxtb16  %[t0], %[t1]\n\t"
        "sxtb16  %[t1], %[t1], ror #8\n\t"
        "strd    %[t0], %[t1], [%[x]], #8\n\t"
        "ldr     %[t1], [%[b]], #4\n\t"
        "sxtb16  %[t0], %[t1]\n\t"
        "sxtb16  %[t1], %[t1], ror #8\n\t"
        "strd    %[t0], %[t1], [%[x]], #8\n\t"
        "subs    %[left], %[left], #1\n\t"
        "bne     2b\n\t"
        "add     %[a], %[a], %[a_skip]\n\t"
        "add     %[b], %[b], %[b_skip]\n\t"
        "subs    %[rows], %[rows], #1\n\t"
        "bne     1b\n\t"
        : [a] "+&r"(a), [b] "+&r"(b), [x] "+&r"(x), [rows] "+&r"(rows), [left] "=&r"(left), [t0] "=&r"(t0),
          [t1] "=&r"(t1)
        : [words] "r"(words), [a_skip] "r"(a_skip), [b_skip] "r"(b_skip)
        : "cc", "memory");
#else
    for (int32_t r = 0; r < rows; ++r, a += a_step, b += b_step) {
        for (int32_t j = 0; j < words; ++j, x += 8) {
            mcunet_pw_widen_group(mcunet_load32(a + 4 * j), mcunet_load32(b + 4 * j), x);
        }
    }
#endif
    return x;
}

/*
 * Widen the taps of two pixels into the x scratch. Each pixel's taps are `rows` rows of
 * `span` int8 values, row r at a + r * a_step (b likewise). Tap order (the code generator
 * packs the weights in the same order): the first 4 * (span / 4) taps of every row, row
 * after row; then the last span % 4 taps of every row, row after row; zero padded to a
 * multiple of 4.
 */
__attribute__((noinline, unused)) static void mcunet_widen_rows(const int8_t *a, int32_t a_step, const int8_t *b, int32_t b_step,
                                     int32_t rows, int32_t span, int16_t *x)
{
    const int32_t words = span >> 2;
    const int32_t rest = span & 3;
    if (words) {
        x = mcunet_widen_words(a, a_step, b, b_step, words, rows, x);
    }
    if (!rest) {
        return;
    }
    const int8_t *ra = a + span - rest, *rb = b + span - rest;
    if (words && rows * rest <= 4) {
        /* one group: each row's end taps from the last word of the row, shifted down */
        const int32_t drop = 32 - 8 * rest;
        uint32_t wa = 0, wb = 0;
        for (int32_t r = 0, bits = 0; r < rows; ++r, ra += a_step, rb += b_step, bits += 8 * rest) {
            wa |= (mcunet_load32(ra + rest - 4) >> drop) << bits;
            wb |= (mcunet_load32(rb + rest - 4) >> drop) << bits;
        }
        mcunet_pw_widen_group(wa, wb, x);
        return;
    }
    uint32_t wa = 0, wb = 0;
    int32_t bits = 0;
    for (int32_t r = 0; r < rows; ++r, ra += a_step, rb += b_step) {
        for (int32_t i = 0; i < rest; ++i) {
            wa |= (uint32_t)(uint8_t)ra[i] << bits;
            wb |= (uint32_t)(uint8_t)rb[i] << bits;
            bits += 8;
            if (bits == 32) {
                mcunet_pw_widen_group(wa, wb, x);
                x += 8;
                wa = wb = 0;
                bits = 0;
            }
        }
    }
    if (bits) {
        mcunet_pw_widen_group(wa, wb, x);
    }
}

typedef int16_t mcunet_half_alias_t __attribute__((may_alias));

/* One record in plain C: n_oc (1 or 2) output channels of both pixels; returns the next record. */
static inline const int32_t *mcunet_pw_record_c(const int16_t *x, const int32_t *rec, int32_t groups, int32_t fmt,
                                                int32_t clamp, int8_t *out, int32_t out1_delta, int32_t n_oc)
{
    /* Unsigned sums wrap like SMLAD; the final value is in range (checked offline). */
    const int32_t w8 = fmt != MCUNET_PW_W16; /* the int8 and int4 records share bias and requant words */
    uint32_t acc[2][2] = {{(uint32_t)rec[0], (uint32_t)rec[1]}, {(uint32_t)rec[0], (uint32_t)rec[1]}};
    rec += w8 ? 2 : 4;
    if (fmt == MCUNET_PW_W4) { /* per group one word: byte t = oc0 tap t | oc1 tap t << 4; x is {t0,t2,t1,t3} */
        static const uint8_t tap[4] = {0, 2, 1, 3};
        for (int32_t g = 0; g < groups; ++g, x += 8) {
            const uint32_t word = (uint32_t)rec[g];
            for (int32_t i = 0; i < 4; ++i) {
                const uint32_t byte = (word >> (8 * tap[i])) & 0xFFu;
                const int32_t w0 = (int8_t)(uint8_t)(byte << 4), w1 = (int8_t)(uint8_t)(byte & 0xF0u); /* 16 x the taps */
                acc[0][0] += (uint32_t)(x[i] * w0);
                acc[0][1] += (uint32_t)(x[i] * w1);
                acc[1][0] += (uint32_t)(x[4 + i] * w0);
                acc[1][1] += (uint32_t)(x[4 + i] * w1);
            }
        }
        rec += groups;
    } else if (w8) { /* per group: oc0 taps 0..3, oc1 taps 0..3 (int8, natural order); x is {t0,t2,t1,t3} */
        static const uint8_t tap[4] = {0, 2, 1, 3};
        const int8_t *w = (const int8_t *)rec;
        for (int32_t g = 0; g < groups; ++g, x += 8, w += 8) {
            for (int32_t i = 0; i < 4; ++i) {
                const int32_t w0 = w[tap[i]], w1 = w[4 + tap[i]];
                acc[0][0] += (uint32_t)(x[i] * w0);
                acc[0][1] += (uint32_t)(x[i] * w1);
                acc[1][0] += (uint32_t)(x[4 + i] * w0);
                acc[1][1] += (uint32_t)(x[4 + i] * w1);
            }
        }
        rec += 2 * groups;
    } else { /* per group: oc0 {t0,t2,t1,t3}, oc1 {t0,t2,t1,t3} as int16, the order of x */
        const mcunet_half_alias_t *w = (const mcunet_half_alias_t *)rec;
        for (int32_t g = 0; g < groups; ++g, x += 8, w += 8) {
            for (int32_t i = 0; i < 4; ++i) {
                acc[0][0] += (uint32_t)(x[i] * w[i]);
                acc[0][1] += (uint32_t)(x[i] * w[4 + i]);
                acc[1][0] += (uint32_t)(x[4 + i] * w[i]);
                acc[1][1] += (uint32_t)(x[4 + i] * w[4 + i]);
            }
        }
        rec += 4 * groups;
    }
    const int32_t *rq = rec;
    const int32_t shift[2] = {w8 ? (rq[4] & 0xFF) : rq[4], w8 ? ((rq[4] >> 8) & 0xFF) : rq[5]};
    rec += w8 ? 5 : 6;
    int32_t lo = -128, hi = 127;
    if (clamp) {
        lo = (int8_t)rec[0];
        hi = (int8_t)rec[1];
        rec += 2;
    }
    for (int32_t px = 0; px < 2; ++px) {
        for (int32_t o = 0; o < n_oc; ++o) {
            /* w4: 16 x (bias + dot) fits an int32 (checked offline), so >> 3 is exact */
            uint32_t a2 = fmt == MCUNET_PW_W8 ? acc[px][o] * 2u
                          : fmt == MCUNET_PW_W4 ? (uint32_t)((int32_t)acc[px][o] >> 3) : acc[px][o];
            int32_t v = mcunet_requant_fast((int32_t)a2, rq[o], rq[2 + o], shift[o]);
            out[px * out1_delta + o] = (int8_t)mcunet_clamp(v, lo, hi);
        }
    }
    return rec;
}


typedef void (*mcunet_pw_core_fn)(const int16_t *x, const int32_t *blob, int8_t *out, int32_t out1_delta,
                                  int32_t oc_pairs, int32_t groups, int32_t clamp, int32_t pairs, int32_t pair_step);

/* The core over `pairs` widened pixel pairs, then (plain C) an odd last channel of each. */
static inline void mcunet_pw_cores(mcunet_pw_core_fn core, int32_t fmt, const int16_t *x, const int32_t *blob,
                                   int8_t *out, int32_t out1_delta, int32_t pairs, int32_t pair_step, int32_t out_c,
                                   int32_t groups, int32_t clamp)
{
    core(x, blob, out, out1_delta, out_c >> 1, groups, clamp, pairs, pair_step);
    if (out_c & 1) {
        const int32_t *rec = blob + (out_c >> 1) * mcunet_pw_record_words(groups, fmt, clamp);
        for (int32_t k = 0; k < pairs; ++k, x += 8 * groups, out += pair_step) {
            mcunet_pw_record_c(x, rec, groups, fmt, clamp, out + out_c - 1, out1_delta, 1);
        }
    }
}

/* Widen the channels of pixels a and b (words inline, a channel tail as a one-row field). */
static inline void mcunet_pw_widen_pixels(const int8_t *a, const int8_t *b, int32_t in_c, int16_t *x)
{
    const int32_t words = in_c >> 2;
    int16_t *tail = words ? mcunet_widen_words(a, 0, b, 0, words, 1, x) : x;
    if (in_c & 3) {
        mcunet_widen_rows(a + 4 * words, 0, b + 4 * words, 0, 1, in_c & 3, tail);
    }
}

static inline void mcunet_pw_run(const mcunet_pw_params_t *p, const int8_t *in, int8_t *out, int16_t *x,
                                 mcunet_pw_core_fn core, int32_t fmt)
{
    const int32_t groups = (p->in_c + 3) >> 2;
    const int32_t c = p->in_c, oc = p->out_c;
    int32_t remaining = p->out_h * p->out_w;
    if (p->reverse) { /* stride 1, from the top: pairs (n - 2, n - 1), (n - 4, n - 3), ..., lone pixel 0 */
        while (remaining > 1) {
            const int32_t k = remaining / 2 < p->batch ? remaining / 2 : p->batch;
            for (int32_t j = 0; j < k; ++j) {
                const int8_t *a = in + (remaining - 2 - 2 * j) * c;
                mcunet_pw_widen_pixels(a, a + c, c, x + 8 * groups * j);
            }
            mcunet_pw_cores(core, fmt, x, p->blob, out + (remaining - 2) * oc, oc, k, -2 * oc, oc, groups, p->clamp);
            remaining -= 2 * k;
        }
        if (remaining) {
            mcunet_pw_widen_pixels(in, in, c, x);
            mcunet_pw_cores(core, fmt, x, p->blob, out, 0, 1, 0, oc, groups, p->clamp);
        }
        return;
    }
    int32_t ox = 0;
    const int8_t *row = in;
    while (remaining > 0) {
        const int32_t lone = remaining == 1;
        const int32_t k = lone ? 1 : (remaining / 2 < p->batch ? remaining / 2 : p->batch);
        for (int32_t j = 0; j < k; ++j) {
            const int8_t *a = row + ox * p->in_px_step;
            if (++ox == p->out_w) {
                ox = 0;
                row += p->in_row_step;
            }
            const int8_t *b = a;
            if (!lone) {
                b = row + ox * p->in_px_step;
                if (++ox == p->out_w) {
                    ox = 0;
                    row += p->in_row_step;
                }
            }
            mcunet_pw_widen_pixels(a, b, c, x + 8 * groups * j);
        }
        mcunet_pw_cores(core, fmt, x, p->blob, out, lone ? 0 : oc, k, 2 * oc, oc, groups, p->clamp);
        out += (lone ? 1 : 2 * k) * oc;
        remaining -= lone ? 1 : 2 * k;
    }
}

#endif /* MCUNET_PW_IMPL_H */
