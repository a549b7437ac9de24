/*
 * Assembly text shared by the pointwise cores (mcunet_pw_core_w16.c, mcunet_pw_core_w8.c).
 * Private to firmware/kernels/pointwise: include only from a core file, after defining
 *   MCUNET_PW_GROUP        one group of 4 input channels (fixed size, MCUNET_PW_GROUP_BYTES)
 *   MCUNET_PW_AFTER_DOT    what turns the dot product into 2 * accumulator (may be empty)
 *   MCUNET_PW_BIAS         accumulators r0-r3 from the record's bias words
 *   MCUNET_PW_RQ_LOAD      requantization constants into r4-r9: M0 M1 C0 C1 s0 s1
 *
 * Register use (everything stays in registers in the dot-product loop):
 *   r0 r1 r2 r3  accumulators: (pixel 0, oc0) (pixel 0, oc1) (pixel 1, oc0) (pixel 1, oc1)
 *   r4 - r7      x of one group: pixel 0 {c0,c2} {c1,c3}, pixel 1 {c0,c2} {c1,c3}
 *   r8 - r11     weights of one group
 *   r12          x pointer; lr  blob pointer (walks the records)
 * Stack frame (44 bytes): [sp] out0  [sp+4] out1  [sp+8] out0 end  [sp+12] x base
 *   [sp+16] loop entry  [sp+20] x end  [sp+24] pixel pairs left  [sp+28] out0 step after a
 *   pair's last channel  [sp+32] pair step  [sp+36] x bytes per pair  [sp+40] blob;
 *   stacked arguments from [sp+80]: oc pairs, groups, clamp, pixel pairs, pair step.
 * The pixel pairs' x lie back to back in the scratch; their outputs pair_step bytes apart.
 * The dot product is 8 groups unrolled and entered part-way in (Duff's device) so any group
 * count runs without a remainder loop (LDM with write-back needs no offsets). Up to 8
 * groups (32 input channels) a variant without the loop-end test runs. Three variants:
 * labels 10/20 (loop), 70/80 (no loop), 40/60 (loop, narrow activation range).
 */
#ifndef MCUNET_PW_CORE_ASM_H
#define MCUNET_PW_CORE_ASM_H

#define MCUNET_STR_(x) #x
#define MCUNET_STR(x) MCUNET_STR_(x)

#define MCUNET_PW_BODY8                                                                       \
    MCUNET_PW_GROUP MCUNET_PW_GROUP MCUNET_PW_GROUP MCUNET_PW_GROUP                         \
    MCUNET_PW_GROUP MCUNET_PW_GROUP MCUNET_PW_GROUP MCUNET_PW_GROUP

/* Entry address of body LABEL (skipping r4 bytes), Thumb bit set, saved; then go to START. */
#define MCUNET_PW_SELECT(LABEL, START)                                                        \
    "adr.w   r5, " LABEL "f\n\t"                                                            \
    "add     r4, r4, r5\n\t"                                                                \
    "orr     r4, r4, #1\n\t"                                                                \
    "str     r4, [sp, #16]\n\t"                                                             \
    "b       " START "f\n\t"

#define MCUNET_PW_PROLOGUE                                                                    \
    "push    {r4-r11, lr}\n\t"                                                              \
    "sub     sp, sp, #44\n\t"                                                               \
    "ldr     r4, [sp, #80]\n\t"        /* oc pairs */                                       \
    "ldr     r7, [sp, #92]\n\t"        /* pixel pairs */                                    \
    "cmp     r4, #0\n\t"                                                                    \
    "it      ne\n\t"                                                                        \
    "cmpne   r7, #0\n\t"                                                                    \
    "beq     99f\n\t"                                                                       \
    "add     r3, r2, r3\n\t"           /* out1 = out0 + delta */                            \
    "add     r5, r2, r4, lsl #1\n\t"   /* out0 end = out0 + 2 * oc pairs */                 \
    "stmia   sp, {r2, r3, r5}\n\t"                                                          \
    "ldr     r9, [sp, #96]\n\t"        /* pair step */                                      \
    "sub     r8, r9, r4, lsl #1\n\t"   /* out0 step after the last channel of a pair */     \
    "ldr     r6, [sp, #84]\n\t"        /* groups */                                         \
    "lsl     r10, r6, #4\n\t"          /* x bytes per pair */                               \
    "add     r5, r0, r10\n\t"          /* x end */                                          \
    "str     r0, [sp, #12]\n\t"                                                             \
    "str     r5, [sp, #20]\n\t"                                                             \
    "add     r11, sp, #24\n\t"                                                              \
    "stmia   r11, {r7-r10}\n\t"        /* pairs left, out0 step, pair step, x bytes */      \
    "str     r1, [sp, #40]\n\t"                                                             \
    "rsb     r4, r6, #0\n\t"                                                                \
    "and     r4, r4, #7\n\t"           /* groups skipped at entry: (-groups) mod 8 */       \
    "mov     r5, #" MCUNET_STR(MCUNET_PW_GROUP_BYTES) "\n\t"                                \
    "mul     r4, r4, r5\n\t"                                                                \
    "mov     lr, r1\n\t"                                                                    \
    "ldr     r5, [sp, #88]\n\t"        /* clamp */                                          \
    "cbnz    r5, 1f\n\t"                                                                    \
    "cmp     r6, #8\n\t"                                                                    \
    "ble     2f\n\t"                                                                        \
    MCUNET_PW_SELECT("20", "10")                                                            \
    "1:\n\t"                                                                                \
    MCUNET_PW_SELECT("60", "40")                                                            \
    "2:\n\t"                                                                                \
    MCUNET_PW_SELECT("80", "70")

/* After a pixel pair's last channel: the next pair's x and outputs, the blob from its start. */
#define MCUNET_PW_NEXT_PAIR(START)                                                            \
    "ldr     r4, [sp, #24]\n\t"                                                             \
    "subs    r4, r4, #1\n\t"                                                                \
    "beq     99f\n\t"                                                                       \
    "str     r4, [sp, #24]\n\t"                                                             \
    "ldmia   sp, {r0-r2}\n\t"          /* out0, out1, out0 end */                           \
    "ldrd    r4, r5, [sp, #28]\n\t"    /* out0 step, pair step */                           \
    "add     r0, r0, r4\n\t"                                                                \
    "add     r1, r1, r4\n\t"                                                                \
    "add     r2, r2, r5\n\t"                                                                \
    "ldr     r3, [sp, #20]\n\t"        /* the next x begins where this one ended */         \
    "stmia   sp, {r0-r3}\n\t"                                                               \
    "ldrd    r4, lr, [sp, #36]\n\t"    /* x bytes, blob */                                  \
    "add     r3, r3, r4\n\t"                                                                \
    "str     r3, [sp, #20]\n\t"                                                             \
    "b       " START "b\n\t"

/* Start of one output-channel pair: accumulators from the bias words, x pointer, Duff jump. */
#define MCUNET_PW_PAIR_START(LABEL)                                                           \
    LABEL ":\n\t"                                                                           \
    MCUNET_PW_BIAS                                                                          \
    "ldrd    r12, r4, [sp, #12]\n\t"                                                        \
    "bx      r4\n\t"                                                                        \
    ".p2align 2\n\t"

#define MCUNET_PW_CHECK_BODY(LABEL)                                                           \
    "98:\n\t"                                                                               \
    ".if (98b - " LABEL "b) - 8 * " MCUNET_STR(MCUNET_PW_GROUP_BYTES) "\n\t"               \
    ".error \"pointwise core: a group is not MCUNET_PW_GROUP_BYTES long\"\n\t"              \
    ".endif\n\t"

/* The dot product: the unrolled body, looping while x is not exhausted (LOOP) or once. */
#define MCUNET_PW_DOT_LOOP(LABEL)                                                             \
    LABEL ":\n\t" MCUNET_PW_BODY8 MCUNET_PW_CHECK_BODY(LABEL)                               \
    "ldr     r4, [sp, #20]\n\t"                                                             \
    "cmp     r12, r4\n\t"                                                                   \
    "bne     " LABEL "b\n\t" MCUNET_PW_AFTER_DOT

#define MCUNET_PW_DOT_ONCE(LABEL)                                                             \
    LABEL ":\n\t" MCUNET_PW_BODY8 MCUNET_PW_CHECK_BODY(LABEL) MCUNET_PW_AFTER_DOT

/* One requantized output: 2 * accumulator in ACC, constants M, C, s; r10 temporary. */
#define MCUNET_PW_REQUANT(ACC, M, C, S)                                                       \
    "smmlar  r10, " ACC ", " M ", " C "\n\t"                                                \
    "add     " ACC ", r10, " ACC ", asr #31\n\t"                                            \
    "asr     " ACC ", " ACC ", " S "\n\t"                                                   \
    "ssat    " ACC ", #8, " ACC "\n\t"

#define MCUNET_PW_REQUANT4                                                                    \
    MCUNET_PW_RQ_LOAD                                                                       \
    MCUNET_PW_REQUANT("r0", "r4", "r6", "r8")                                               \
    MCUNET_PW_REQUANT("r1", "r5", "r7", "r9")                                               \
    MCUNET_PW_REQUANT("r2", "r4", "r6", "r8")                                               \
    MCUNET_PW_REQUANT("r3", "r5", "r7", "r9")

/* Stores of the full int8 range (SSAT is the activation clamp), then the next pair. */
#define MCUNET_PW_STORE_FULL(NEXT)                                                            \
    "ldmia   sp, {r10-r12}\n\t"        /* out0, out1, out0 end */                           \
    "strb    r0, [r10], #1\n\t"                                                             \
    "strb    r1, [r10], #1\n\t"                                                             \
    "strb    r2, [r11], #1\n\t"                                                             \
    "strb    r3, [r11], #1\n\t"                                                             \
    "strd    r10, r11, [sp]\n\t"                                                            \
    "cmp     r10, r12\n\t"                                                                  \
    "bne     " NEXT "b\n\t"                                                                 \
    MCUNET_PW_NEXT_PAIR(NEXT)

/* Narrow activation range: pack the 4 bytes, clamp them with SSUB8/SEL, store halfwords. */
#define MCUNET_PW_STORE_CLAMP(NEXT)                                                           \
    "bfi     r0, r1, #8, #8\n\t"                                                            \
    "bfi     r0, r2, #16, #8\n\t"                                                           \
    "bfi     r0, r3, #24, #8\n\t"                                                           \
    "ldmia   lr!, {r1, r2}\n\t"        /* lo4, hi4 */                                       \
    "ssub8   r3, r0, r1\n\t"                                                                \
    "sel     r0, r0, r1\n\t"                                                                \
    "ssub8   r3, r0, r2\n\t"                                                                \
    "sel     r0, r2, r0\n\t"                                                                \
    "ldmia   sp, {r10-r12}\n\t"                                                             \
    "strh    r0, [r10], #2\n\t"                                                             \
    "lsr     r0, r0, #16\n\t"                                                               \
    "strh    r0, [r11], #2\n\t"                                                             \
    "strd    r10, r11, [sp]\n\t"                                                            \
    "cmp     r10, r12\n\t"                                                                  \
    "bne     " NEXT "b\n\t"                                                                 \
    MCUNET_PW_NEXT_PAIR(NEXT)

#define MCUNET_PW_CORE_TEXT                                                                   \
    MCUNET_PW_PROLOGUE                                                                      \
    MCUNET_PW_PAIR_START("10") MCUNET_PW_DOT_LOOP("20") MCUNET_PW_REQUANT4 MCUNET_PW_STORE_FULL("10")   \
    MCUNET_PW_PAIR_START("70") MCUNET_PW_DOT_ONCE("80") MCUNET_PW_REQUANT4 MCUNET_PW_STORE_FULL("70")   \
    MCUNET_PW_PAIR_START("40") MCUNET_PW_DOT_LOOP("60") MCUNET_PW_REQUANT4 MCUNET_PW_STORE_CLAMP("40")  \
    "99:\n\t"                                                                               \
    "add     sp, sp, #44\n\t"                                                               \
    "pop     {r4-r11, pc}\n\t"

/* Arguments stay in r0-r3 and on the stack (AAPCS); the body reads them directly. */
#define MCUNET_ASM_ARG __attribute__((unused))

#endif /* MCUNET_PW_CORE_ASM_H */
