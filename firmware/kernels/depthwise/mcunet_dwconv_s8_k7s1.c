/* Depthwise 7x7, horizontal stride 1, int8: the job kernel (mcunet_depthwise.h). */
#define DW_K 7
#define DW_S 1
#include "mcunet_dw_job.h"

#if MCUNET_HAVE_DSP
#include "mcunet_dw_asm.h"

/* Quad of outputs x..x+3 per kernel row: data a0..a9 (r4-r7, then a8,a9 in r4), weights
 * (w0,w1),(w2,w3),(w4,w5) then (w1,w2),(w3,w4),(w5,w6) in r8-r10. Registers: acc r0-r3,
 * data r4-r7, weights r8-r10, row r11, row k r12, row stride lr; accumulators out and row
 * end in the frame. 168 instructions per quad (196 MACs). */
__attribute__((naked)) void mcunet_dwconv_s8_k7s1(DW_JOB_ASM_ARGS)
{
    __asm__ volatile(
        DW_ASM_SETUP(42, 3)
        ".macro DW_K7S1_ROW base, woff\n"
        "ldrd r8, r9, [sp, #\\woff]\n"
        "ldr r10, [sp, #\\woff + 8]\n"
        "ldm \\base, {r4-r7}\n"
        "smlad r0, r4, r8, r0\n"
        "smlad r0, r5, r9, r0\n"
        "smlad r0, r6, r10, r0\n"
        "smlad r2, r5, r8, r2\n"
        "smlad r2, r6, r9, r2\n"
        "smlad r2, r7, r10, r2\n"
        "smlatb r1, r4, r8, r1\n"
        "smlatb r3, r5, r8, r3\n"
        "ldr r4, [\\base, #16]\n"
        "ldrd r8, r9, [sp, #\\woff + 12]\n"
        "ldr r10, [sp, #\\woff + 20]\n"
        "smlabt r0, r7, r10, r0\n"
        "smlad r1, r5, r8, r1\n"
        "smlad r1, r6, r9, r1\n"
        "smlad r1, r7, r10, r1\n"
        "smlabt r2, r4, r10, r2\n"
        "smlad r3, r6, r8, r3\n"
        "smlad r3, r7, r9, r3\n"
        "smlad r3, r4, r10, r3\n"
        ".endm\n"
        ".macro DW_K7S1_PAIR base, woff\n"
        "ldrd r8, r9, [sp, #\\woff]\n"
        "ldr r10, [sp, #\\woff + 8]\n"
        "ldm \\base, {r4-r7}\n"
        "smlad r0, r4, r8, r0\n"
        "smlad r0, r5, r9, r0\n"
        "smlad r0, r6, r10, r0\n"
        "smlatb r1, r4, r8, r1\n"
        "ldrd r8, r9, [sp, #\\woff + 12]\n"
        "ldr r10, [sp, #\\woff + 20]\n"
        "smlabt r0, r7, r10, r0\n"
        "smlad r1, r5, r8, r1\n"
        "smlad r1, r6, r9, r1\n"
        "smlad r1, r7, r10, r1\n"
        ".endm\n"
        "mov r11, r0\n"
        "ldr lr, [sp, #L_RS]\n"
        "1:\n"
        "ldr r4, [sp, #L_ROWBYTES]\n"
        "add r4, r4, r11\n"
        "str r4, [sp, #L_END]\n"
        "2:\n"
        "ldm sp, {r0-r3}\n"
        "DW_K7S1_ROW r11, 16\n"
        "add r12, r11, lr\n"
        "DW_K7S1_ROW r12, 40\n"
        "add r12, r12, lr\n"
        "DW_K7S1_ROW r12, 64\n"
        "add r12, r12, lr\n"
        "DW_K7S1_ROW r12, 88\n"
        "add r12, r12, lr\n"
        "DW_K7S1_ROW r12, 112\n"
        "add r12, r12, lr\n"
        "DW_K7S1_ROW r12, 136\n"
        "add r12, r12, lr\n"
        "DW_K7S1_ROW r12, 160\n"
        "ldr r4, [sp, #L_ACC]\n"
        "stm r4!, {r0-r3}\n"
        "str r4, [sp, #L_ACC]\n"
        "add r11, r11, #8\n"
        "ldr r4, [sp, #L_END]\n"
        "cmp r11, r4\n"
        "bne 2b\n"
        DW_ASM_PAIR_BEGIN
        "DW_K7S1_PAIR r11, 16\n"
        "add r12, r11, lr\n"
        "DW_K7S1_PAIR r12, 40\n"
        "add r12, r12, lr\n"
        "DW_K7S1_PAIR r12, 64\n"
        "add r12, r12, lr\n"
        "DW_K7S1_PAIR r12, 88\n"
        "add r12, r12, lr\n"
        "DW_K7S1_PAIR r12, 112\n"
        "add r12, r12, lr\n"
        "DW_K7S1_PAIR r12, 136\n"
        "add r12, r12, lr\n"
        "DW_K7S1_PAIR r12, 160\n"
        "ldr r4, [sp, #L_ACC]\n"
        "strd r0, r1, [r4], #8\n"
        "str r4, [sp, #L_ACC]\n"
        DW_ASM_PAIR_END
        DW_ASM_ROW_END_FRAME("r11")
        DW_ASM_CHANNEL_END
        ".purgem DW_K7S1_PAIR\n"
        ".purgem DW_K7S1_ROW\n");
}
#else
void mcunet_dwconv_s8_k7s1(const mcunet_dw_job_t *job)
{
    dw_job_c(job);
}
#endif

DW_DEFINE_VARIANT(mcunet_dwconv_s8_k7s1)
