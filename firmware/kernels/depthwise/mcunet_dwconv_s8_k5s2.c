/* Depthwise 5x5, horizontal stride 2, int8: the job kernel (mcunet_depthwise.h). */
#define DW_K 5
#define DW_S 2
#include "mcunet_dw_job.h"

#if MCUNET_HAVE_DSP
#include "mcunet_dw_asm.h"

/* Quad of outputs x..x+3 per kernel row: data a0..a11 (r4-r7, then r4-r5 again), weights
 * (w0,w1),(w2,w3),(w4,0) in r8-r10. Registers: acc r0-r3, data r4-r7, weights r8-r10,
 * row r11, row k r12, row stride lr; accumulators out and row end in the frame.
 * 92 instructions per quad (100 MACs). */
__attribute__((naked)) void mcunet_dwconv_s8_k5s2(DW_JOB_ASM_ARGS)
{
    __asm__ volatile(
        DW_ASM_SETUP(15, 4)
        ".macro DW_K5S2_ROW base, woff\n"
        "ldrd r8, r9, [sp, #\\woff]\n"
        "ldr r10, [sp, #\\woff + 8]\n"
        "ldm \\base, {r4-r7}\n"
        "smlad r0, r4, r8, r0\n"
        "smlad r0, r5, r9, r0\n"
        "smlabb r0, r6, r10, r0\n"
        "smlad r1, r5, r8, r1\n"
        "smlad r1, r6, r9, r1\n"
        "smlabb r1, r7, r10, r1\n"
        "ldrd r4, r5, [\\base, #16]\n"
        "smlad r2, r6, r8, r2\n"
        "smlad r2, r7, r9, r2\n"
        "smlabb r2, r4, r10, r2\n"
        "smlad r3, r7, r8, r3\n"
        "smlad r3, r4, r9, r3\n"
        "smlabb r3, r5, r10, r3\n"
        ".endm\n"
        ".macro DW_K5S2_PAIR base, woff\n"
        "ldrd r8, r9, [sp, #\\woff]\n"
        "ldr r10, [sp, #\\woff + 8]\n"
        "ldm \\base, {r4-r7}\n"
        "smlad r0, r4, r8, r0\n"
        "smlad r0, r5, r9, r0\n"
        "smlabb r0, r6, r10, r0\n"
        "smlad r1, r5, r8, r1\n"
        "smlad r1, r6, r9, r1\n"
        "smlabb r1, r7, r10, r1\n"
        ".endm\n"
        "mov r11, r0\n"
        "ldr lr, [sp, #L_RS]\n"
        "1:\n"
        "ldr r4, [sp, #L_ROWBYTES]\n"
        "add r4, r4, r11\n"
        "str r4, [sp, #L_END]\n"
        "2:\n"
        "ldm sp, {r0-r3}\n"
        "DW_K5S2_ROW r11, 16\n"
        "add r12, r11, lr\n"
        "DW_K5S2_ROW r12, 28\n"
        "add r12, r12, lr\n"
        "DW_K5S2_ROW r12, 40\n"
        "add r12, r12, lr\n"
        "DW_K5S2_ROW r12, 52\n"
        "add r12, r12, lr\n"
        "DW_K5S2_ROW r12, 64\n"
        "ldr r4, [sp, #L_ACC]\n"
        "stm r4!, {r0-r3}\n"
        "str r4, [sp, #L_ACC]\n"
        "add r11, r11, #16\n"
        "ldr r4, [sp, #L_END]\n"
        "cmp r11, r4\n"
        "bne 2b\n"
        DW_ASM_PAIR_BEGIN
        "DW_K5S2_PAIR r11, 16\n"
        "add r12, r11, lr\n"
        "DW_K5S2_PAIR r12, 28\n"
        "add r12, r12, lr\n"
        "DW_K5S2_PAIR r12, 40\n"
        "add r12, r12, lr\n"
        "DW_K5S2_PAIR r12, 52\n"
        "add r12, r12, lr\n"
        "DW_K5S2_PAIR r12, 64\n"
        "ldr r4, [sp, #L_ACC]\n"
        "strd r0, r1, [r4], #8\n"
        "str r4, [sp, #L_ACC]\n"
        DW_ASM_PAIR_END
        DW_ASM_ROW_END_FRAME("r11")
        DW_ASM_CHANNEL_END
        ".purgem DW_K5S2_PAIR\n"
        ".purgem DW_K5S2_ROW\n");
}
#else
void mcunet_dwconv_s8_k5s2(const mcunet_dw_job_t *job)
{
    dw_job_c(job);
}
#endif

DW_DEFINE_VARIANT(mcunet_dwconv_s8_k5s2)
