/*
 * Pointwise core, int8 weights widened in the loop (half the weight flash of the w16 core,
 * ~40 % more instructions in the dot product): per group of 4 input channels 2 LDM,
 * 4 SXTB16, 8 SMLAD. Accumulators are doubled before the requantization. Layout:
 * mcunet_pointwise.h.
 */
#include "mcunet_pw_impl.h"

#if MCUNET_HAVE_DSP

/* 56 bytes (32-bit encodings, so the loop entry can be computed): LDM x, LDM w (2 words), 4 SXTB16, 8 SMLAD. */
#define MCUNET_PW_GROUP_BYTES 56
#define MCUNET_PW_GROUP                                                                    \
    "ldmia.w r12!, {r4-r7}\n\t"                                                             \
    "ldmia.w lr!, {r8, r9}\n\t"                                                             \
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

/* int8 weights are not doubled: double the accumulators for the requantization. */
#define MCUNET_PW_AFTER_DOT                                                                   \
    "add     r0, r0, r0\n\t"                                                                \
    "add     r1, r1, r1\n\t"                                                                \
    "add     r2, r2, r2\n\t"                                                                \
    "add     r3, r3, r3\n\t"

/* The int8 format keeps its records small: bias b0 b1 once, both shifts in one word (ASR
 * reads the low byte of its shift register). */
#define MCUNET_PW_BIAS                                                                        \
    "ldmia   lr!, {r0, r1}\n\t"                                                              \
    "mov     r2, r0\n\t"                                                                      \
    "mov     r3, r1\n\t"
#define MCUNET_PW_RQ_LOAD                                                                     \
    "ldmia   lr!, {r4-r8}\n\t"                                                               \
    "lsr     r9, r8, #8\n\t"

#include "mcunet_pw_core_asm.h"

__attribute__((naked, noinline)) void mcunet_pw_core_w8(
    MCUNET_ASM_ARG const int16_t *x, MCUNET_ASM_ARG const int32_t *blob, MCUNET_ASM_ARG int8_t *out,
    MCUNET_ASM_ARG int32_t out1_delta, MCUNET_ASM_ARG int32_t oc_pairs, MCUNET_ASM_ARG int32_t groups,
    MCUNET_ASM_ARG int32_t clamp, MCUNET_ASM_ARG int32_t pairs, MCUNET_ASM_ARG int32_t pair_step)
{
    __asm__ volatile(MCUNET_PW_CORE_TEXT);
}

#else

void mcunet_pw_core_w8(const int16_t *x, const int32_t *blob, int8_t *out, int32_t out1_delta, int32_t oc_pairs,
                       int32_t groups, int32_t clamp, int32_t pairs, int32_t pair_step)
{
    for (int32_t k = 0; k < pairs; ++k, x += 8 * groups, out += pair_step) {
        const int32_t *rec = blob;
        for (int32_t i = 0; i < oc_pairs; ++i) {
            rec = mcunet_pw_record_c(x, rec, groups, 1, clamp, out + 2 * i, out1_delta, 2);
        }
    }
}

#endif
