/* Depthwise 7x7, horizontal stride 2, int8: the job kernel (mcunet_depthwise.h). */
#define DW_K 7
#define DW_S 2
#include "mcunet_dw_job.h"

#if MCUNET_HAVE_DSP
#include "mcunet_dw_asm.h"

/* Quad of outputs x..x+3 per kernel row: data a0..a13 (r4-r7, then refilled as consumed),
 * weights (w0,w1),(w2,w3),(w4,w5),(w6,0) in r8-r11. Registers: acc r0-r3, data r4-r7,
 * weights r8-r11, row r12, row k lr; row stride, accumulators out and row end in the frame.
 * 175 instructions per quad (196 MACs). */
__attribute__((naked)) void mcunet_dwconv_s8_k7s2(DW_JOB_ASM_ARGS)
{
    __asm__ volatile(
        DW_ASM_SETUP(28, 4)
        ".macro DW_K7S2_ROW base, woff\n"
        "ldrd r8, r9, [sp, #\\woff]\n"
        "ldrd r10, r11, [sp, #\\woff + 8]\n"
        "ldm \\base, {r4-r7}\n"
        "smlad r0, r4, r8, r0\n"
        "smlad r0, r5, r9, r0\n"
        "smlad r0, r6, r10, r0\n"
        "smlabb r0, r7, r11, r0\n"
        "smlad r1, r5, r8, r1\n"
        "smlad r1, r6, r9, r1\n"
        "smlad r1, r7, r10, r1\n"
        "ldr r4, [\\base, #16]\n"
        "smlabb r1, r4, r11, r1\n"
        "smlad r2, r6, r8, r2\n"
        "smlad r2, r7, r9, r2\n"
        "smlad r2, r4, r10, r2\n"
        "ldr r5, [\\base, #20]\n"
        "smlabb r2, r5, r11, r2\n"
        "smlad r3, r7, r8, r3\n"
        "smlad r3, r4, r9, r3\n"
        "smlad r3, r5, r10, r3\n"
        "ldr r6, [\\base, #24]\n"
        "smlabb r3, r6, r11, r3\n"
        ".endm\n"
        ".macro DW_K7S2_PAIR base, woff\n"
        "ldrd r8, r9, [sp, #\\woff]\n"
        "ldrd r10, r11, [sp, #\\woff + 8]\n"
        "ldm \\base, {r4-r7}\n"
        "smlad r0, r4, r8, r0\n"
        "smlad r0, r5, r9, r0\n"
        "smlad r0, r6, r10, r0\n"
        "smlabb r0, r7, r11, r0\n"
        "smlad r1, r5, r8, r1\n"
        "smlad r1, r6, r9, r1\n"
        "smlad r1, r7, r10, r1\n"
        "ldr r4, [\\base, #16]\n"
        "smlabb r1, r4, r11, r1\n"
        ".endm\n"
        ".macro DW_K7S2_NEXT\n"
        "ldr r4, [sp, #L_RS]\n"
        "add lr, lr, r4\n"
        ".endm\n"
        "mov r12, r0\n"
        "1:\n"
        "ldr r4, [sp, #L_ROWBYTES]\n"
        "add r4, r4, r12\n"
        "str r4, [sp, #L_END]\n"
        "2:\n"
        "ldm sp, {r0-r3}\n"
        "mov lr, r12\n"
        "DW_K7S2_ROW lr, 16\n"
        "DW_K7S2_NEXT\n"
        "DW_K7S2_ROW lr, 32\n"
        "DW_K7S2_NEXT\n"
        "DW_K7S2_ROW lr, 48\n"
        "DW_K7S2_NEXT\n"
        "DW_K7S2_ROW lr, 64\n"
        "DW_K7S2_NEXT\n"
        "DW_K7S2_ROW lr, 80\n"
        "DW_K7S2_NEXT\n"
        "DW_K7S2_ROW lr, 96\n"
        "DW_K7S2_NEXT\n"
        "DW_K7S2_ROW lr, 112\n"
        "ldr r4, [sp, #L_ACC]\n"
        "stm r4!, {r0-r3}\n"
        "str r4, [sp, #L_ACC]\n"
        "add r12, r12, #16\n"
        "ldr r4, [sp, #L_END]\n"
        "cmp r12, r4\n"
        "bne 2b\n"
        DW_ASM_PAIR_BEGIN
        "mov lr, r12\n"
        "DW_K7S2_PAIR lr, 16\n"
        "DW_K7S2_NEXT\n"
        "DW_K7S2_PAIR lr, 32\n"
        "DW_K7S2_NEXT\n"
        "DW_K7S2_PAIR lr, 48\n"
        "DW_K7S2_NEXT\n"
        "DW_K7S2_PAIR lr, 64\n"
        "DW_K7S2_NEXT\n"
        "DW_K7S2_PAIR lr, 80\n"
        "DW_K7S2_NEXT\n"
        "DW_K7S2_PAIR lr, 96\n"
        "DW_K7S2_NEXT\n"
        "DW_K7S2_PAIR lr, 112\n"
        "ldr r4, [sp, #L_ACC]\n"
        "strd r0, r1, [r4], #8\n"
        "str r4, [sp, #L_ACC]\n"
        DW_ASM_PAIR_END
        DW_ASM_ROW_END_FRAME("r12")
        DW_ASM_CHANNEL_END
        ".purgem DW_K7S2_PAIR\n"
        ".purgem DW_K7S2_ROW\n"
        ".purgem DW_K7S2_NEXT\n");
}
#else
void mcunet_dwconv_s8_k7s2(const mcunet_dw_job_t *job)
{
    dw_job_c(job);
}
#endif

DW_DEFINE_VARIANT(mcunet_dwconv_s8_k7s2)
