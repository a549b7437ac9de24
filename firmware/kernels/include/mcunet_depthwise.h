/*
 * Fast int8 depthwise convolution through 16-bit channel planes (TinyEngine style), in place.
 *
 * A layer is one call of a driver, mcunet_dw_strips() or mcunet_dw_transposed(), given the
 * job kernel of its kernel size K and stride S along the plane rows,
 * mcunet_dwconv_s8_k<K>s<S>(), and (only for the clamp and TFLite requantization modes)
 * mcunet_dw_epilogue(). The other stride (1 or 2) and the depth multiplier are parameters.
 * Each is one function in its own file, so a model links the pieces its layers use.
 *
 * How it works (firmware/kernels/depthwise/):
 *  - Channels are processed in groups of up to 4. For a group, input rows are widened to
 *    int16 into a strip of `strip_rows` padded rows per channel ("plane"), just in time:
 *    a strip only holds the rows the next `batch_rows` output rows need; the rows still
 *    needed are moved to the top when the strip is full. Borders hold the input zero point,
 *    written once per layer, so padding contributes (zp - zp) * w = 0 exactly as in TFLite.
 *  - Per strip batch and group, a job kernel (hand-written assembly on cores with the DSP
 *    extension, a plain-C twin elsewhere) computes, per channel, 4 adjacent outputs at a time
 *    with SMLAD / SMLAxy on weight pairs into a small int32 accumulator buffer, requantizes
 *    them with the exact fast form of mcunet_requant.h (SSAT to int8) and stores them at the
 *    channel's NHWC slots; the clamp and TFLite-formula epilogues run in C after it.
 *  - Cost (emulated M7, 3x3 stride 1): 37 instructions per quad of outputs (36 MACs), 25 per
 *    4 requantized outputs, 1.75 per widened input element (4 channels at a time).
 *  - Transposed (layers much taller than wide, e.g. KWS's 25x5): the planes hold the input's
 *    columns as rows so the quads run down the columns; the whole plane is widened first.
 *  - In place: an output of channel c only overwrites input bytes of channel c, and every
 *    input row such a write can reach has already been widened into the strip, so the output
 *    may start at the input's address (the Python kernel declares InPlace only for shapes
 *    where that last condition holds; out of place always works).
 *
 * Constants (mcunet_core/engine/kernels/depthwise.py builds them):
 *  wblock[out_c][1 + K * WPR] int32 (the w8 / w4 drivers: word 0 only in flash, the rest
 *  widened per channel group from the taps, below): word 0 = 2 * (bias - input_zp * sum(w)), then per
 *  kernel row WPR words of doubled weights packed in int16 pairs (low half first):
 *    S = 1: WPR = K - 1: (w0,w1), (w2,w3), ... (w[K-3],w[K-2]), then (w1,w2), (w3,w4), ... (w[K-2],w[K-1])
 *    S = 2: WPR = (K + 1) / 2: (w0,w1), (w2,w3), ..., (w[K-1], 0)
 *  requant[out_c][3]: modes 0/1: (M, C = 2^(s-1) + zp * 2^s, s) of mcunet_requant.h's fast form;
 *  mode 2: (TFLite multiplier, 0, TFLite shift). The w8 / w4 drivers: requant[out_c][2], (M, s)
 *  or (multiplier, shift), widened per channel group into the 3-word records (C from s and zp).
 */
#ifndef MCUNET_DEPTHWISE_H
#define MCUNET_DEPTHWISE_H

#include <stdint.h>

#define MCUNET_DW_REQUANT_FAST_SSAT 0  /* fast requant, activation range = int8 range */
#define MCUNET_DW_REQUANT_FAST_CLAMP 1 /* fast requant, clamp to [act_min, act_max] */
#define MCUNET_DW_REQUANT_TFLITE 2     /* TFLite's MultiplyByQuantizedMultiplier (any shift) */

typedef struct {
    int32_t k;                    /* kernel size */
    int32_t block_words;          /* packed weight words per channel: 1 + K * WPR */
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;  /* out_c = in_c * depth_multiplier */
    int32_t depth_multiplier;
    int32_t stride_v;             /* stride between plane rows: the vertical stride, 1 or 2 (the
                                   * horizontal one when transposed); the other is the function's S */
    int32_t pad_top, pad_left;
    int32_t input_zp, output_zp;
    int32_t act_min, act_max;
    int32_t requant_mode;         /* MCUNET_DW_REQUANT_* */
    int32_t transposed;           /* 1: planes hold input columns as rows (quads run down the columns) */
    int32_t groups;               /* planes in the scratch: 1, 2 or 4 */
    /* the strip layout, in the plane's frame (rows and columns swapped when transposed) */
    int32_t strip_rows;           /* padded rows per plane = K + stride_v * (batch_rows - 1) */
    int32_t row_len;              /* int16 per plane row (even) */
    int32_t batch_rows;           /* plane rows of outputs per kernel call */
    int32_t nquads;               /* quads per plane row of outputs: ceil(out_w / 4), or out_h / 4 */
    const int32_t *wblock;        /* [out_c][1 + K * WPR] */
    const int32_t *requant;       /* [out_c][3]: modes 0/1 (M, C, s); mode 2 (multiplier, 0, shift);
                                   * w8 / w4 drivers: [out_c][2] without the middle word */
    /* int8 / int4 taps kept in flash (the *_w8 / *_w4 drivers; NULL for the others): wblock
     * holds word 0 of each block, [out_c]; channel c's K x K taps (plane frame, row-major) from
     * tap c * K * K, one per byte (w8) or two per byte, low nibble first (w4); tap_stride = the
     * job kernel's S */
    const void *taps;
    int32_t tap_stride;
} mcunet_dw_params_t;

/* The job of a kernel call (mcunet_dw_strips / mcunet_dw_transposed fill it in). */
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
} mcunet_dw_job_t;

/* Job kernels, one per kernel size K and stride S along the plane rows (assembly on cores
 * with the DSP extension, a plain-C twin elsewhere; they take no scratch of their own). */
typedef void (*mcunet_dw_job_fn)(const mcunet_dw_job_t *job);
#define MCUNET_DW_DECLARE_JOB(name)                                                                      \
    void name(const mcunet_dw_job_t *job);                                                               \
    int32_t name##_get_buffer_size(void);
MCUNET_DW_DECLARE_JOB(mcunet_dwconv_s8_k3s1)
MCUNET_DW_DECLARE_JOB(mcunet_dwconv_s8_k3s2)
MCUNET_DW_DECLARE_JOB(mcunet_dwconv_s8_k5s1)
MCUNET_DW_DECLARE_JOB(mcunet_dwconv_s8_k5s2)
MCUNET_DW_DECLARE_JOB(mcunet_dwconv_s8_k7s1)
MCUNET_DW_DECLARE_JOB(mcunet_dwconv_s8_k7s2)

/* Requantization in C for the clamp and TFLite modes (the job kernels only do the fast SSAT
 * one): one channel's accumulators of a job, with its 3-word record at job->rq. NULL where every channel takes the fast mode. */
typedef void (*mcunet_dw_epilogue_fn)(const mcunet_dw_params_t *p, int32_t oc, const mcunet_dw_job_t *job,
                                      int8_t *out);
void mcunet_dw_epilogue(const mcunet_dw_params_t *p, int32_t oc, const mcunet_dw_job_t *job, int8_t *out);
int32_t mcunet_dw_epilogue_get_buffer_size(void);

/* The layer, on strips of planes or on transposed whole planes. Scratch bytes: planes
 * (groups * strip_rows * row_len int16) + accumulators (batch_rows * nquads * 4 int32). */
void mcunet_dw_strips(const mcunet_dw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch,
                      mcunet_dw_job_fn job, mcunet_dw_epilogue_fn epilogue);
int32_t mcunet_dw_strips_get_buffer_size(int32_t groups, int32_t strip_rows, int32_t row_len, int32_t batch_rows,
                                         int32_t nquads);
void mcunet_dw_transposed(const mcunet_dw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch,
                          mcunet_dw_job_fn job, mcunet_dw_epilogue_fn epilogue);
int32_t mcunet_dw_transposed_get_buffer_size(int32_t groups, int32_t strip_rows, int32_t row_len, int32_t batch_rows,
                                             int32_t nquads);

/* The same drivers for taps kept in flash, int8 as stored (w8) or int4 packed (w4): each
 * channel group's blocks and records are widened once into `widened_words` int32 of scratch
 * (groups x dm x (block_words + 3)) after the accumulators before its jobs. */
void mcunet_dw_strips_w8(const mcunet_dw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch,
                         mcunet_dw_job_fn job, mcunet_dw_epilogue_fn epilogue);
int32_t mcunet_dw_strips_w8_get_buffer_size(int32_t groups, int32_t strip_rows, int32_t row_len, int32_t batch_rows,
                                            int32_t nquads, int32_t widened_words);
void mcunet_dw_transposed_w8(const mcunet_dw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch,
                             mcunet_dw_job_fn job, mcunet_dw_epilogue_fn epilogue);
int32_t mcunet_dw_transposed_w8_get_buffer_size(int32_t groups, int32_t strip_rows, int32_t row_len,
                                                int32_t batch_rows, int32_t nquads, int32_t widened_words);
void mcunet_dw_strips_w4(const mcunet_dw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch,
                         mcunet_dw_job_fn job, mcunet_dw_epilogue_fn epilogue);
int32_t mcunet_dw_strips_w4_get_buffer_size(int32_t groups, int32_t strip_rows, int32_t row_len, int32_t batch_rows,
                                            int32_t nquads, int32_t widened_words);
void mcunet_dw_transposed_w4(const mcunet_dw_params_t *p, const int8_t *in, int8_t *out, int16_t *scratch,
                             mcunet_dw_job_fn job, mcunet_dw_epilogue_fn epilogue);
int32_t mcunet_dw_transposed_w4_get_buffer_size(int32_t groups, int32_t strip_rows, int32_t row_len,
                                                int32_t batch_rows, int32_t nquads, int32_t widened_words);

#endif /* MCUNET_DEPTHWISE_H */
