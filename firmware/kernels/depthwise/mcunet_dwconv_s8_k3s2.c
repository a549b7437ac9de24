/* Depthwise 3x3, horizontal stride 2, int8: the job kernel (mcunet_depthwise.h). */
#define DW_K 3
#define DW_S 2
#include "mcunet_dw_job.h"

#if MCUNET_HAVE_DSP
#include "mcunet_dw_asm.h"

/* Quad of outputs x..x+3 per kernel row: data a0..a8 (r4-r7, then a8 in r4), weights
 * r8 = (w0,w1), r9 = (w2,0): acc_j = a(2j)w0 + a(2j+1)w1 + a(2j+2)w2.
 * Registers: acc r0-r3, data r4-r7, weights r8-r9, row r10, row k r11, row stride r12,
 * accumulators out lr; row end in the frame. 41 instructions per quad (36 MACs). */
__attribute__((naked)) void mcunet_dwconv_s8_k3s2(DW_JOB_ASM_ARGS)
{
    __asm__ volatile(
        DW_ASM_SETUP(6, 4)
        ".macro DW_K3S2_ROW base, woff\n"
        "ldrd r8, r9, [sp, #\\woff]\n"
        "ldm \\base, {r4-r7}\n"
        "smlad r0, r4, r8, r0\n"
        "smlabb r0, r5, r9, r0\n"
        "smlad r1, r5, r8, r1\n"
        "smlabb r1, r6, r9, r1\n"
        "smlad r2, r6, r8, r2\n"
        "smlabb r2, r7, r9, r2\n"
        "smlad r3, r7, r8, r3\n"
        "ldr r4, [\\base, #16]\n"
        "smlabb r3, r4, r9, r3\n"
        ".endm\n"
        ".macro DW_K3S2_PAIR base, woff\n"
        "ldrd r8, r9, [sp, #\\woff]\n"
        "ldm \\base, {r4-r6}\n"
        "smlad r0, r4, r8, r0\n"
        "smlabb r0, r5, r9, r0\n"
        "smlad r1, r5, r8, r1\n"
        "smlabb r1, r6, r9, r1\n"
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
        "DW_K3S2_ROW r10, 16\n"
        "add r11, r10, r12\n"
        "DW_K3S2_ROW r11, 24\n"
        "add r11, r11, r12\n"
        "DW_K3S2_ROW r11, 32\n"
        "stm lr!, {r0-r3}\n"
        "add r10, r10, #16\n"
        "ldr r4, [sp, #L_END]\n"
        "cmp r10, r4\n"
        "bne 2b\n"
        DW_ASM_PAIR_BEGIN
        "DW_K3S2_PAIR r10, 16\n"
        "add r11, r10, r12\n"
        "DW_K3S2_PAIR r11, 24\n"
        "add r11, r11, r12\n"
        "DW_K3S2_PAIR r11, 32\n"
        "strd r0, r1, [lr], #8\n"
        DW_ASM_PAIR_END
        DW_ASM_ROW_END_REG("r10", "lr")
        DW_ASM_CHANNEL_END
        ".purgem DW_K3S2_PAIR\n"
        ".purgem DW_K3S2_ROW\n");
}
#else
void mcunet_dwconv_s8_k3s2(const mcunet_dw_job_t *job)
{
    dw_job_c(job);
}
#endif

DW_DEFINE_VARIANT(mcunet_dwconv_s8_k3s2)
