/*
 * Assembly scaffolding shared by the depthwise row kernels (Armv7E-M, Thumb-2).
 *
 * dw_job_asm(job) processes `nch` channels of one strip batch (mcunet_dw_planes.h, dw_job_t):
 * per channel it copies the bias (x4) and packed weights into its stack frame so the quad
 * loop can reload them with LDM/LDRD at fixed offsets and use almost every register for
 * accumulators, data and pointers, runs the variant's row loops (dense int32 accumulators),
 * then (job->epilogue) requantizes them with the fast exact form and stores them at the
 * channel's NHWC slots: epi_rows runs of `count` outputs `out_stride` apart, epi_skip bytes
 * between the end of a run and the start of the next. Frame layout:
 *   [0, 16)            bias x4            (LDM sp, {acc0-acc3} initialises a quad)
 *   [16, 16 + 4 * NW)  weights, kernel row k at 16 + 4 * WPR * k
 *   L_* slots          job fields and loop state
 * A variant body starts with r0 = first plane row, r1 = accumulators, runs its quad loop
 * per row (label 1: row start, 2: quad), then, when the job has a pair tail, one pair of
 * outputs (rows whose last 1-2 outputs would waste most of a quad: DW_ASM_PAIR_BEGIN /
 * variant pair / DW_ASM_PAIR_END), and ends with DW_ASM_ROW_END_*, which steps to the
 * next row and rewinds the accumulator pointer over the throwaway outputs of a partial last
 * quad, so the accumulators of a channel are dense.
 */
#ifndef MCUNET_DW_ASM_H
#define MCUNET_DW_ASM_H

#define DW_STR2(x) #x
#define DW_STR(x) DW_STR2(x)

/* nw: weight words per channel (K * WPR); qshift: log2(input bytes per quad of outputs) */
#define DW_ASM_SETUP(nw, qshift)                                                          \
    ".syntax unified\n"                                                                   \
    ".set DW_NW, " DW_STR(nw) "\n"                                                        \
    ".set L_PLANE, 16 + 4 * DW_NW\n"                                                      \
    ".set L_ACC0, L_PLANE + 4\n"                                                          \
    ".set L_W, L_PLANE + 8\n"                                                             \
    ".set L_OUT, L_PLANE + 12\n"                                                          \
    ".set L_RQ, L_PLANE + 16\n"                                                           \
    ".set L_RS, L_PLANE + 20\n"                                                           \
    ".set L_ROWBYTES, L_PLANE + 24\n"                                                     \
    ".set L_DELTA, L_PLANE + 28\n"                                                        \
    ".set L_NROWS0, L_PLANE + 32\n"                                                       \
    ".set L_REWIND, L_PLANE + 36\n"                                                       \
    ".set L_PLANEB, L_PLANE + 40\n"                                                       \
    ".set L_DM, L_PLANE + 44\n"                                                           \
    ".set L_NCH, L_PLANE + 48\n"                                                          \
    ".set L_COUNT, L_PLANE + 52\n"                                                        \
    ".set L_OSTRIDE, L_PLANE + 56\n"                                                      \
    ".set L_EPI, L_PLANE + 60\n"                                                          \
    ".set L_MLEFT, L_PLANE + 64\n"                                                        \
    ".set L_NROWS, L_PLANE + 68\n"                                                        \
    ".set L_ACC, L_PLANE + 72\n"                                                          \
    ".set L_END, L_PLANE + 76\n"                                                          \
    ".set L_EROWS, L_PLANE + 80\n"                                                        \
    ".set L_ESKIP, L_PLANE + 84\n"                                                        \
    ".set L_PAIR, L_PLANE + 88\n"                                                         \
    ".set DW_FRAME, (L_PLANE + 92 + 7) & ~7\n"                                            \
    "push {r4-r11, lr}\n"                                                                 \
    "sub sp, sp, #DW_FRAME\n"                                                             \
    "ldm r0, {r1-r7}\n" /* rows, acc, wblock, out, rq, row stride, vertical step */      \
    "str r1, [sp, #L_PLANE]\n"                                                            \
    "str r2, [sp, #L_ACC0]\n"                                                             \
    "str r3, [sp, #L_W]\n"                                                                \
    "str r4, [sp, #L_OUT]\n"                                                              \
    "str r5, [sp, #L_RQ]\n"                                                               \
    "str r6, [sp, #L_RS]\n"                                                               \
    "ldr r8, [r0, #28]\n" /* quads */                                                     \
    "lsl r8, r8, #" DW_STR(qshift) "\n"                                                   \
    "str r8, [sp, #L_ROWBYTES]\n"                                                         \
    "sub r7, r7, r8\n"                                                                    \
    "str r7, [sp, #L_DELTA]\n"                                                            \
    "add r0, r0, #32\n"                                                                   \
    "ldm r0, {r1-r8}\n" /* rows, rewind, plane bytes, dm, channels, count, stride, epi */ \
    "str r1, [sp, #L_NROWS0]\n"                                                           \
    "str r2, [sp, #L_REWIND]\n"                                                           \
    "str r3, [sp, #L_PLANEB]\n"                                                           \
    "str r4, [sp, #L_DM]\n"                                                               \
    "str r4, [sp, #L_MLEFT]\n"                                                            \
    "str r5, [sp, #L_NCH]\n"                                                              \
    "str r6, [sp, #L_COUNT]\n"                                                            \
    "str r7, [sp, #L_OSTRIDE]\n"                                                          \
    "str r8, [sp, #L_EPI]\n"                                                              \
    "ldrd r1, r2, [r0, #32]\n" /* epilogue rows, skip */                                  \
    "str r1, [sp, #L_EROWS]\n"                                                            \
    "str r2, [sp, #L_ESKIP]\n"                                                            \
    "ldr r1, [r0, #40]\n" /* pair tail */                                                 \
    "str r1, [sp, #L_PAIR]\n"                                                             \
    "8:\n" /* channel loop */                                                             \
    "ldr r2, [sp, #L_W]\n"                                                                \
    "ldr r4, [r2], #4\n" /* bias, x4 */                                                   \
    "mov r5, r4\n"                                                                        \
    "mov r6, r4\n"                                                                        \
    "mov r7, r4\n"                                                                        \
    "stm sp, {r4-r7}\n"                                                                   \
    "add r3, sp, #16\n"                                                                   \
    ".rept DW_NW / 4\n"                                                                   \
    "ldm r2!, {r4-r7}\n"                                                                  \
    "stm r3!, {r4-r7}\n"                                                                  \
    ".endr\n"                                                                             \
    ".rept DW_NW % 4\n"                                                                   \
    "ldr r4, [r2], #4\n"                                                                  \
    "str r4, [r3], #4\n"                                                                  \
    ".endr\n"                                                                             \
    "str r2, [sp, #L_W]\n"                                                                \
    "ldr r4, [sp, #L_NROWS0]\n"                                                           \
    "str r4, [sp, #L_NROWS]\n"                                                            \
    "ldr r0, [sp, #L_PLANE]\n"                                                            \
    "ldr r1, [sp, #L_ACC0]\n"                                                             \
    "str r1, [sp, #L_ACC]\n"

/* skip the pair block unless the job has a pair tail */
#define DW_ASM_PAIR_BEGIN                                                                 \
    "ldr r4, [sp, #L_PAIR]\n"                                                             \
    "cmp r4, #0\n"                                                                        \
    "beq 10f\n"                                                                           \
    "ldrd r0, r1, [sp]\n" /* bias x2 */

#define DW_ASM_PAIR_END "10:\n"

/* row end with the accumulator pointer in register `ra` */
#define DW_ASM_ROW_END_REG(rp, ra)                                                        \
    "ldr r4, [sp, #L_DELTA]\n"                                                            \
    "add " rp ", " rp ", r4\n"                                                            \
    "ldr r4, [sp, #L_REWIND]\n"                                                           \
    "sub " ra ", " ra ", r4\n"                                                            \
    "ldr r4, [sp, #L_NROWS]\n"                                                            \
    "subs r4, r4, #1\n"                                                                   \
    "str r4, [sp, #L_NROWS]\n"                                                            \
    "bne 1b\n"

/* row end with the accumulator pointer in the frame (L_ACC) */
#define DW_ASM_ROW_END_FRAME(rp)                                                          \
    "ldr r4, [sp, #L_DELTA]\n"                                                            \
    "add " rp ", " rp ", r4\n"                                                            \
    "ldr r4, [sp, #L_ACC]\n"                                                              \
    "ldr r5, [sp, #L_REWIND]\n"                                                           \
    "sub r4, r4, r5\n"                                                                    \
    "str r4, [sp, #L_ACC]\n"                                                              \
    "ldr r4, [sp, #L_NROWS]\n"                                                            \
    "subs r4, r4, #1\n"                                                                   \
    "str r4, [sp, #L_NROWS]\n"                                                            \
    "bne 1b\n"

/* Requantize the channel's dense accumulators (fast form, SSAT to int8), store them
 * `stride` bytes apart: 25 instructions per 4 outputs; then the next channel. */
#define DW_ASM_CHANNEL_END                                                                \
    "ldr r4, [sp, #L_EPI]\n"                                                              \
    "cmp r4, #0\n"                                                                        \
    "beq 6f\n"                                                                            \
    "ldr r0, [sp, #L_ACC0]\n"                                                             \
    "ldr r1, [sp, #L_OUT]\n"                                                              \
    "ldr r2, [sp, #L_RQ]\n"                                                               \
    "ldm r2!, {r7-r9}\n" /* M, C, s */                                                    \
    "str r2, [sp, #L_RQ]\n"                                                               \
    "ldr r4, [sp, #L_OSTRIDE]\n"                                                          \
    "ldr r12, [sp, #L_EROWS]\n"                                                           \
    "ldr lr, [sp, #L_ESKIP]\n"                                                            \
    ".macro DW_EPI_ONE a, off\n"                                                          \
    "smmlar r10, \\a, r7, r8\n"                                                           \
    "add r10, r10, \\a, asr #31\n"                                                        \
    "asr r10, r10, r9\n"                                                                  \
    "ssat r10, #8, r10\n"                                                                 \
    "strb r10, [r1\\off]\n"                                                               \
    ".endm\n"                                                                             \
    "5:\n" /* epilogue row */                                                             \
    "ldr r3, [sp, #L_COUNT]\n"                                                            \
    "subs r11, r3, #4\n"                                                                  \
    "blt 3f\n"                                                                            \
    "2:\n"                                                                                \
    "ldm r0!, {r2, r3, r5, r6}\n"                                                         \
    "DW_EPI_ONE r2, \n"                                                                   \
    "DW_EPI_ONE r3, \", r4\"\n"                                                           \
    "add r1, r1, r4, lsl #1\n"                                                            \
    "DW_EPI_ONE r5, \n"                                                                   \
    "DW_EPI_ONE r6, \", r4\"\n"                                                           \
    "add r1, r1, r4, lsl #1\n"                                                            \
    "subs r11, r11, #4\n"                                                                 \
    "bge 2b\n"                                                                            \
    "3:\n"                                                                                \
    "adds r11, r11, #4\n"                                                                 \
    "beq 9f\n"                                                                            \
    "4:\n"                                                                                \
    "ldr r2, [r0], #4\n"                                                                  \
    "DW_EPI_ONE r2, \n"                                                                   \
    "add r1, r1, r4\n"                                                                    \
    "subs r11, r11, #1\n"                                                                 \
    "bne 4b\n"                                                                            \
    "9:\n"                                                                                \
    "add r1, r1, lr\n"                                                                    \
    "subs r12, r12, #1\n"                                                                 \
    "bne 5b\n"                                                                            \
    ".purgem DW_EPI_ONE\n"                                                                \
    "6:\n" /* next channel: output + 1, plane + 1 every dm channels */                    \
    "ldr r4, [sp, #L_OUT]\n"                                                              \
    "add r4, r4, #1\n"                                                                    \
    "str r4, [sp, #L_OUT]\n"                                                              \
    "ldr r4, [sp, #L_MLEFT]\n"                                                            \
    "subs r4, r4, #1\n"                                                                   \
    "bne 7f\n"                                                                            \
    "ldr r5, [sp, #L_PLANE]\n"                                                            \
    "ldr r6, [sp, #L_PLANEB]\n"                                                           \
    "add r5, r5, r6\n"                                                                    \
    "str r5, [sp, #L_PLANE]\n"                                                            \
    "ldr r4, [sp, #L_DM]\n"                                                               \
    "7:\n"                                                                                \
    "str r4, [sp, #L_MLEFT]\n"                                                            \
    "ldr r4, [sp, #L_NCH]\n"                                                              \
    "subs r4, r4, #1\n"                                                                   \
    "str r4, [sp, #L_NCH]\n"                                                              \
    "bne 8b\n"                                                                            \
    "add sp, sp, #DW_FRAME\n"                                                             \
    "pop {r4-r11, pc}\n"

#endif /* MCUNET_DW_ASM_H */
