/* Depthwise 3x3, horizontal stride 1, int8: the job kernel (mcunet_depthwise.h). */
#define DW_K 3
#define DW_S 1
#include "mcunet_dw_job.h"

#if MCUNET_HAVE_DSP
#include "mcunet_dw_asm.h"

/* Quad of outputs x..x+3 per kernel row: data a0..a5 in r4-r6 (int16 pairs), weights
 * r7 = (w0,w1), r8 = (w1,w2): acc0 = a0w0+a1w1+a2w2 ... acc3 = a3w0+a4w1+a5w2.
 * Registers: acc r0-r3, data r4-r6, weights r7-r8, row r9, row k r10, row stride r11,
 * accumulators out r12, row end lr. 37 instructions per quad (36 MACs). */
__attribute__((naked)) void mcunet_dwconv_s8_k3s1(DW_JOB_ASM_ARGS)
{
    __asm__ volatile(
        DW_ASM_SETUP(6, 3)
        ".macro DW_K3S1_ROW base, woff\n"
        "ldrd r7, r8, [sp, #\\woff]\n"
        "ldm \\base, {r4, r5, r6}\n"
        "smlad r0, r4, r7, r0\n"
        "smlatb r1, r4, r7, r1\n"
        "smlabt r0, r5, r8, r0\n"
        "smlad r1, r5, r8, r1\n"
        "smlad r2, r5, r7, r2\n"
        "smlatb r3, r5, r7, r3\n"
        "smlabt r2, r6, r8, r2\n"
        "smlad r3, r6, r8, r3\n"
        ".endm\n"
        ".macro DW_K3S1_PAIR base, woff\n"
        "ldrd r7, r8, [sp, #\\woff]\n"
        "ldrd r4, r5, [\\base]\n"
        "smlad r0, r4, r7, r0\n"
        "smlatb r1, r4, r7, r1\n"
        "smlabt r0, r5, r8, r0\n"
        "smlad r1, r5, r8, r1\n"
        ".endm\n"
        "mov r9, r0\n"
        "mov r12, r1\n"
        "ldr r11, [sp, #L_RS]\n"
        "1:\n"
        "ldr lr, [sp, #L_ROWBYTES]\n"
        "add lr, lr, r9\n"
        "2:\n"
        "ldm sp, {r0-r3}\n"
        "DW_K3S1_ROW r9, 16\n"
        "add r10, r9, r11\n"
        "DW_K3S1_ROW r10, 24\n"
        "add r10, r10, r11\n"
        "DW_K3S1_ROW r10, 32\n"
        "stm r12!, {r0-r3}\n"
        "add r9, r9, #8\n"
        "cmp r9, lr\n"
        "bne 2b\n"
        DW_ASM_PAIR_BEGIN
        "DW_K3S1_PAIR r9, 16\n"
        "add r10, r9, r11\n"
        "DW_K3S1_PAIR r10, 24\n"
        "add r10, r10, r11\n"
        "DW_K3S1_PAIR r10, 32\n"
        "strd r0, r1, [r12], #8\n"
        DW_ASM_PAIR_END
        DW_ASM_ROW_END_REG("r9", "r12")
        DW_ASM_CHANNEL_END
        ".purgem DW_K3S1_PAIR\n"
        ".purgem DW_K3S1_ROW\n");
}
#else
void mcunet_dwconv_s8_k3s1(const mcunet_dw_job_t *job)
{
    dw_job_c(job);
}
#endif

DW_DEFINE_VARIANT(mcunet_dwconv_s8_k3s1)
