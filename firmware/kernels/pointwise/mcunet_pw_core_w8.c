/*
 * Pointwise core, int8 weights widened in the loop (half the weight flash of the w16 core,
 * ~50 % more instructions in the dot product): per group of 4 input channels 2 LDM,
 * 4 SXTB16, 8 SMLAD. Accumulators are doubled before the requantization. Layout:
 * mcunet_pointwise.h.
 */
#include "mcunet_pw_impl.h"

#if MCUNET_HAVE_DSP
#include "mcunet_pw_core_asm.h"

/* 56 bytes: LDM x, LDM w (2 words), 4 SXTB16, 8 SMLAD. */
#define MCUNET_PW_GROUP_W8                                                                    \
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

#define MCUNET_PW_BODY_W8(LABEL)                                                              \
    LABEL ":\n\t"                                                                           \
    MCUNET_PW_GROUP_W8 MCUNET_PW_GROUP_W8 MCUNET_PW_GROUP_W8 MCUNET_PW_GROUP_W8             \
    MCUNET_PW_GROUP_W8 MCUNET_PW_GROUP_W8 MCUNET_PW_GROUP_W8 MCUNET_PW_GROUP_W8             \
    "98:\n\t"                                                                               \
    ".if (98b - " LABEL "b) - 448\n\t"                                                      \
    ".error \"pointwise w8 group is not 56 bytes\"\n\t"                                     \
    ".endif\n\t"                                                                            \
    MCUNET_PW_LOOP_END(LABEL)                                                               \
    "add     r0, r0, r0\n\t"                                                                \
    "add     r1, r1, r1\n\t"                                                                \
    "add     r2, r2, r2\n\t"                                                                \
    "add     r3, r3, r3\n\t"

/* Arguments stay in r0-r3 and on the stack (AAPCS); the body reads them directly. */
#define MCUNET_ASM_ARG __attribute__((unused))
__attribute__((naked, noinline)) void mcunet_pw_core_w8(
    MCUNET_ASM_ARG const int16_t *x, MCUNET_ASM_ARG const int32_t *blob, MCUNET_ASM_ARG int8_t *out,
    MCUNET_ASM_ARG int32_t out1_delta, MCUNET_ASM_ARG int32_t oc_pairs, MCUNET_ASM_ARG int32_t groups,
    MCUNET_ASM_ARG int32_t clamp)
{
    __asm__ volatile(
        MCUNET_PW_PROLOGUE(56)
        MCUNET_PW_PAIR_START("10")
        MCUNET_PW_BODY_W8("20")
        MCUNET_PW_REQUANT4
        MCUNET_PW_STORE_FULL("10")
        MCUNET_PW_PAIR_START("40")
        MCUNET_PW_BODY_W8("60")
        MCUNET_PW_REQUANT4
        MCUNET_PW_STORE_CLAMP("40")
        MCUNET_PW_EPILOGUE);
}
#undef MCUNET_ASM_ARG

#else

void mcunet_pw_core_w8(const int16_t *x, const int32_t *blob, int8_t *out, int32_t out1_delta, int32_t oc_pairs,
                       int32_t groups, int32_t clamp)
{
    for (int32_t i = 0; i < oc_pairs; ++i) {
        blob = mcunet_pw_record_c(x, blob, groups, 1, clamp, out + 2 * i, out1_delta, 2);
    }
}

#endif
