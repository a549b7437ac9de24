/*
 * Pointwise core, int4 weights kept packed (a quarter of the w16 core's weight flash, half
 * of w8's), widened in the loop: per group of 4 input channels 1 LDM x, 1 LDR w, LSL and
 * 2 AND (16 x each channel's taps as int8 bytes), 4 SXTB16, 8 SMLAD. The bias is stored
 * x 16, so the accumulators hold 16 x (bias + dot) (the code generator admits a layer only
 * when that fits an int32) and ASR #3 gives the doubled accumulator the requantization
 * takes. Layout: mcunet_pointwise.h.
 */
#include "mcunet_pw_impl.h"

#if MCUNET_HAVE_DSP

/* 68 bytes (32-bit encodings, so the loop entry can be computed): LDM x, LDR w, LSL, 2 AND,
 * 4 SXTB16, 8 SMLAD. Word w: byte t = oc0 tap t | oc1 tap t << 4. */
#define MCUNET_PW_GROUP_BYTES 68
#define MCUNET_PW_GROUP                                                                    \
    "ldmia.w r12!, {r4-r7}\n\t"                                                             \
    "ldr.w   r9, [lr], #4\n\t"                                                              \
    "lsl.w   r8, r9, #4\n\t"                                                                \
    "and.w   r8, r8, #0xF0F0F0F0\n\t"  /* oc0 taps x 16 */                                 \
    "and.w   r9, r9, #0xF0F0F0F0\n\t"  /* oc1 taps x 16 */                                 \
    "sxtb16  r10, r8\n\t"                                                                   \
    "sxtb16  r8, r8, ror #8\n\t"                                                            \
    "sxtb16  r11, r9\n\t"                                                                   \
    "sxtb16  r9, r9, ror #8\n\t"                                                            \
    "smlad   r0, r4, r10, r0\n\t"                                                           \
    "smlad   r1, r4, r11, r1\n\t"                                                           \
    "smlad   r2, r6, r10, r2\n\t"                                                           \
    "smlad   r3, r6, r11, r3\n\t"                                                           \
    "smlad   r0, r5, r8, r0\n\t"                                                            \
    "smlad   r1, r5, r9, r1\n\t"                                                            \
    "smlad   r2, r7, r8, r2\n\t"                                                            \
    "smlad   r3, r7, r9, r3\n\t"

/* 16 x the accumulator -> 2 x the accumulator (exact: no int32 wrap, checked offline). */
#define MCUNET_PW_AFTER_DOT                                                                   \
    "asr     r0, r0, #3\n\t"                                                                \
    "asr     r1, r1, #3\n\t"                                                                \
    "asr     r2, r2, #3\n\t"                                                                \
    "asr     r3, r3, #3\n\t"

/* As the int8 format: bias b0 b1 once (here x 16), both shifts in one word. */
#define MCUNET_PW_BIAS                                                                        \
    "ldmia   lr!, {r0, r1}\n\t"                                                              \
    "mov     r2, r0\n\t"                                                                      \
    "mov     r3, r1\n\t"
#define MCUNET_PW_RQ_LOAD                                                                     \
    "ldmia   lr!, {r4-r8}\n\t"                                                               \
    "lsr     r9, r8, #8\n\t"

#include "mcunet_pw_core_asm.h"

__attribute__((naked, noinline)) void mcunet_pw_core_w4(
    MCUNET_ASM_ARG const int16_t *x, MCUNET_ASM_ARG const int32_t *blob, MCUNET_ASM_ARG int8_t *out,
    MCUNET_ASM_ARG int32_t out1_delta, MCUNET_ASM_ARG int32_t oc_pairs, MCUNET_ASM_ARG int32_t groups,
    MCUNET_ASM_ARG int32_t clamp, MCUNET_ASM_ARG int32_t pairs, MCUNET_ASM_ARG int32_t pair_step)
{
    __asm__ volatile(MCUNET_PW_CORE_TEXT);
}

#else

void mcunet_pw_core_w4(const int16_t *x, const int32_t *blob, int8_t *out, int32_t out1_delta, int32_t oc_pairs,
                       int32_t groups, int32_t clamp, int32_t pairs, int32_t pair_step)
{
    for (int32_t k = 0; k < pairs; ++k, x += 8 * groups, out += pair_step) {
        const int32_t *rec = blob;
        for (int32_t i = 0; i < oc_pairs; ++i) {
            rec = mcunet_pw_record_c(x, rec, groups, MCUNET_PW_W4, clamp, out + 2 * i, out1_delta, 2);
        }
    }
}

#endif
