/* Depthwise 5x5, horizontal stride 1, int8: the job kernel (mcunet_depthwise.h). */
#define DW_K 5
#define DW_S 1
#include "mcunet_dw_job.h"

#if MCUNET_HAVE_DSP
#include "mcunet_dw_asm.h"

/* Quad of outputs x..x+3 per kernel row: data a0..a7 in r4-r7, weights (w0,w1),(w2,w3)
 * then (w1,w2),(w3,w4) in r8-r9. Registers: acc r0-r3, data r4-r7, weights r8-r9, row r10,
 * row k r11, row stride r12, accumulators out lr; row end in the frame.
 * 85 instructions per quad (100 MACs). */
__attribute__((naked)) void mcunet_dwconv_s8_k5s1(DW_JOB_ASM_ARGS)
{
    __asm__ volatile(
        DW_ASM_SETUP(20, 3)
        ".macro DW_K5S1_ROW base, woff\n"
        "ldrd r8, r9, [sp, #\\woff]\n"
        "ldm \\base, {r4-r7}\n"
        "smlad r0, r4, r8, r0\n"
        "smlad r0, r5, r9, r0\n"
        "smlatb r1, r4, r8, r1\n"
        "smlad r2, r5, r8, r2\n"
        "smlad r2, r6, r9, r2\n"
        "smlatb r3, r5, r8, r3\n"
        "ldrd r8, r9, [sp, #\\woff + 8]\n"
        "smlabt r0, r6, r9, r0\n"
        "smlad r1, r5, r8, r1\n"
        "smlad r1, r6, r9, r1\n"
        "smlabt r2, r7, r9, r2\n"
        "smlad r3, r6, r8, r3\n"
        "smlad r3, r7, r9, r3\n"
        ".endm\n"
        ".macro DW_K5S1_PAIR base, woff\n"
        "ldrd r8, r9, [sp, #\\woff]\n"
        "ldm \\base, {r4-r6}\n"
        "smlad r0, r4, r8, r0\n"
        "smlad r0, r5, r9, r0\n"
        "smlatb r1, r4, r8, r1\n"
        "ldrd r8, r9, [sp, #\\woff + 8]\n"
        "smlabt r0, r6, r9, r0\n"
        "smlad r1, r5, r8, r1\n"
        "smlad r1, r6, r9, r1\n"
        ".endm\n"
        "mov r10, r0\n"
        "mov lr, r1\n"
        "ldr r12, [sp, #L_RS]\n"
        "1:\n"
        "ldr r4, [sp, #L_ROWBYTES]\n"
        "add r4, r4, r10\n"
        "str r4, [sp, #L_END]\n"
        "2:\n"
        "ldm sp, {r0-r3}\n"
        "DW_K5S1_ROW r10, 16\n"
        "add r11, r10, r12\n"
        "DW_K5S1_ROW r11, 32\n"
        "add r11, r11, r12\n"
        "DW_K5S1_ROW r11, 48\n"
        "add r11, r11, r12\n"
        "DW_K5S1_ROW r11, 64\n"
        "add r11, r11, r12\n"
        "DW_K5S1_ROW r11, 80\n"
        "stm lr!, {r0-r3}\n"
        "add r10, r10, #8\n"
        "ldr r4, [sp, #L_END]\n"
        "cmp r10, r4\n"
        "bne 2b\n"
        DW_ASM_PAIR_BEGIN
        "DW_K5S1_PAIR r10, 16\n"
        "add r11, r10, r12\n"
        "DW_K5S1_PAIR r11, 32\n"
        "add r11, r11, r12\n"
        "DW_K5S1_PAIR r11, 48\n"
        "add r11, r11, r12\n"
        "DW_K5S1_PAIR r11, 64\n"
        "add r11, r11, r12\n"
        "DW_K5S1_PAIR r11, 80\n"
        "strd r0, r1, [lr], #8\n"
        DW_ASM_PAIR_END
        DW_ASM_ROW_END_REG("r10", "lr")
        DW_ASM_CHANNEL_END
        ".purgem DW_K5S1_PAIR\n"
        ".purgem DW_K5S1_ROW\n");
}
#else
void mcunet_dwconv_s8_k5s1(const mcunet_dw_job_t *job)
{
    dw_job_c(job);
}
#endif

DW_DEFINE_VARIANT(mcunet_dwconv_s8_k5s1)
