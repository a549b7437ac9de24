/*
 * Pointwise core, int16 pre-widened (and doubled) weights: oc_pairs records against one
 * widened pixel pair. Per group of 4 input channels: 2 LDM + 8 SMLAD for 16 MACs; requant
 * 4 instructions per output + store. Layout: mcunet_pointwise.h.
 */
#include "mcunet_pw_impl.h"

#if MCUNET_HAVE_DSP
#include "mcunet_pw_core_asm.h"

/* 40 bytes: LDM x, LDM w, 8 SMLAD (32-bit encodings, so the Duff entry can be computed). */
#define MCUNET_PW_GROUP_W16                                                                   \
    "ldmia.w r12!, {r4-r7}\n\t"                                                             \
    "ldmia.w lr!, {r8-r11}\n\t"                                                             \
    "smlad   r0, r4, r8, r0\n\t"                                                            \
    "smlad   r1, r4, r10, r1\n\t"                                                           \
    "smlad   r2, r6, r8, r2\n\t"                                                            \
    "smlad   r3, r6, r10, r3\n\t"                                                           \
    "smlad   r0, r5, r9, r0\n\t"                                                            \
    "smlad   r1, r5, r11, r1\n\t"                                                           \
    "smlad   r2, r7, r9, r2\n\t"                                                            \
    "smlad   r3, r7, r11, r3\n\t"

#define MCUNET_PW_BODY_W16(LABEL)                                                             \
    LABEL ":\n\t"                                                                           \
    MCUNET_PW_GROUP_W16 MCUNET_PW_GROUP_W16 MCUNET_PW_GROUP_W16 MCUNET_PW_GROUP_W16         \
    MCUNET_PW_GROUP_W16 MCUNET_PW_GROUP_W16 MCUNET_PW_GROUP_W16 MCUNET_PW_GROUP_W16         \
    "98:\n\t"                                                                               \
    ".if (98b - " LABEL "b) - 320\n\t"                                                      \
    ".error \"pointwise w16 group is not 40 bytes\"\n\t"                                    \
    ".endif\n\t"                                                                            \
    MCUNET_PW_LOOP_END(LABEL)

/* Arguments stay in r0-r3 and on the stack (AAPCS); the body reads them directly. */
#define MCUNET_ASM_ARG __attribute__((unused))
__attribute__((naked, noinline)) void mcunet_pw_core_w16(
    MCUNET_ASM_ARG const int16_t *x, MCUNET_ASM_ARG const int32_t *blob, MCUNET_ASM_ARG int8_t *out,
    MCUNET_ASM_ARG int32_t out1_delta, MCUNET_ASM_ARG int32_t oc_pairs, MCUNET_ASM_ARG int32_t groups,
    MCUNET_ASM_ARG int32_t clamp)
{
    __asm__ volatile(
        MCUNET_PW_PROLOGUE(40)
        MCUNET_PW_PAIR_START("10")
        MCUNET_PW_BODY_W16("20")
        MCUNET_PW_REQUANT4
        MCUNET_PW_STORE_FULL("10")
        MCUNET_PW_PAIR_START("40")
        MCUNET_PW_BODY_W16("60")
        MCUNET_PW_REQUANT4
        MCUNET_PW_STORE_CLAMP("40")
        MCUNET_PW_EPILOGUE);
}
#undef MCUNET_ASM_ARG

#else

void mcunet_pw_core_w16(const int16_t *x, const int32_t *blob, int8_t *out, int32_t out1_delta, int32_t oc_pairs,
                        int32_t groups, int32_t clamp)
{
    for (int32_t i = 0; i < oc_pairs; ++i) {
        blob = mcunet_pw_record_c(x, blob, groups, 0, clamp, out + 2 * i, out1_delta, 2);
    }
}

#endif
