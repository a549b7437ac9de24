/*
 * Pointwise core, int16 pre-widened (and doubled) weights: oc_pairs records against one
 * widened pixel pair. Per group of 4 input channels: 2 LDM + 8 SMLAD for 16 MACs; requant
 * 4 instructions per output + store. Layout: mcunet_pointwise.h.
 */
#include "mcunet_pw_impl.h"

#if MCUNET_HAVE_DSP

/* One group, 40 bytes (32-bit encodings, so the loop entry can be computed): LDM x, LDM w, 8 SMLAD. */
#define MCUNET_PW_GROUP_BYTES 40
#define MCUNET_PW_GROUP                                                                   \
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

#define MCUNET_PW_AFTER_DOT /* weights and bias are stored doubled */
#define MCUNET_PW_BIAS "ldmia   lr!, {r0-r3}\n\t" /* b0 b1 b0 b1 */
#define MCUNET_PW_RQ_LOAD "ldmia   lr!, {r4-r9}\n\t"

#include "mcunet_pw_core_asm.h"

__attribute__((naked, noinline)) void mcunet_pw_core_w16(
    MCUNET_ASM_ARG const int16_t *x, MCUNET_ASM_ARG const int32_t *blob, MCUNET_ASM_ARG int8_t *out,
    MCUNET_ASM_ARG int32_t out1_delta, MCUNET_ASM_ARG int32_t oc_pairs, MCUNET_ASM_ARG int32_t groups,
    MCUNET_ASM_ARG int32_t clamp, MCUNET_ASM_ARG int32_t pairs, MCUNET_ASM_ARG int32_t pair_step)
{
    __asm__ volatile(MCUNET_PW_CORE_TEXT);
}

#else

void mcunet_pw_core_w16(const int16_t *x, const int32_t *blob, int8_t *out, int32_t out1_delta, int32_t oc_pairs,
                       int32_t groups, int32_t clamp, int32_t pairs, int32_t pair_step)
{
    for (int32_t k = 0; k < pairs; ++k, x += 8 * groups, out += pair_step) {
        const int32_t *rec = blob;
        for (int32_t i = 0; i < oc_pairs; ++i) {
            rec = mcunet_pw_record_c(x, rec, groups, 0, clamp, out + 2 * i, out1_delta, 2);
        }
    }
}

#endif
