/*
 * Assembly text shared by the pointwise cores (mcunet_pw_core_w16.c, mcunet_pw_core_w8.c).
 * Private to firmware/kernels/pointwise: include only from a core file.
 *
 * Register use inside the core (everything is in registers in the dot-product loop):
 *   r0 r1 r2 r3  accumulators: (pixel 0, oc0) (pixel 0, oc1) (pixel 1, oc0) (pixel 1, oc1)
 *   r4 - r7      x of one group: pixel 0 {c0,c2} {c1,c3}, pixel 1 {c0,c2} {c1,c3}
 *   r8 - r11     weights of one group (oc0 even/odd, oc1 even/odd)
 *   r12          x pointer; lr  blob pointer (walks the records)
 * Stack frame (24 bytes): [sp] out  [sp+4] out1 delta  [sp+8] out end  [sp+12] x base
 *                         [sp+16] loop entry (Duff)  [sp+20] x end;  stacked args from [sp+60].
 * The dot-product loop is unrolled 8 groups deep and entered part-way in (Duff's device) so
 * that any group count runs without a remainder loop: LDM with write-back needs no offsets.
 */
#ifndef MCUNET_PW_CORE_ASM_H
#define MCUNET_PW_CORE_ASM_H

#define MCUNET_STR_(x) #x
#define MCUNET_STR(x) MCUNET_STR_(x)

/* Prologue: frame, loop-entry address of the body labelled BODY, clamp flag test. */
#define MCUNET_PW_PROLOGUE(GROUP_BYTES)                                                       \
    "push    {r4-r11, lr}\n\t"                                                              \
    "sub     sp, sp, #24\n\t"                                                               \
    "ldr     r4, [sp, #60]\n\t"        /* oc pairs */                                       \
    "cmp     r4, #0\n\t"                                                                    \
    "beq     99f\n\t"                                                                       \
    "add     r5, r2, r4, lsl #1\n\t"   /* out end = out + 2 * pairs */                      \
    "strd    r2, r3, [sp]\n\t"                                                              \
    "str     r5, [sp, #8]\n\t"                                                              \
    "ldr     r4, [sp, #64]\n\t"        /* groups */                                         \
    "add     r5, r0, r4, lsl #4\n\t"   /* x end = x + 16 bytes * groups */                  \
    "str     r0, [sp, #12]\n\t"                                                             \
    "str     r5, [sp, #20]\n\t"                                                             \
    "rsb     r4, r4, #0\n\t"                                                                \
    "and     r4, r4, #7\n\t"           /* groups skipped at entry: (-groups) mod 8 */       \
    "mov     r5, #" MCUNET_STR(GROUP_BYTES) "\n\t"                                          \
    "mul     r4, r4, r5\n\t"                                                                \
    "mov     lr, r1\n\t"                                                                    \
    "ldr     r5, [sp, #68]\n\t"        /* clamp */                                          \
    "cbnz    r5, 50f\n\t"                                                                   \
    "adr.w   r5, 20f\n\t"                                                                   \
    "add     r4, r4, r5\n\t"                                                                \
    "orr     r4, r4, #1\n\t"                                                                \
    "str     r4, [sp, #16]\n\t"                                                             \
    "b       10f\n\t"                                                                       \
    "50:\n\t"                                                                               \
    "adr.w   r5, 60f\n\t"                                                                   \
    "add     r4, r4, r5\n\t"                                                                \
    "orr     r4, r4, #1\n\t"                                                                \
    "str     r4, [sp, #16]\n\t"                                                             \
    "b       40f\n\t"

/* Start of one output-channel pair: accumulators from the bias words, x pointer, Duff jump. */
#define MCUNET_PW_PAIR_START(LABEL)                                                           \
    LABEL ":\n\t"                                                                           \
    "ldmia   lr!, {r0-r3}\n\t"                                                              \
    "ldrd    r12, r4, [sp, #12]\n\t"                                                        \
    "bx      r4\n\t"                                                                        \
    ".p2align 2\n\t"

/* End of the unrolled body: loop while x is not exhausted. */
#define MCUNET_PW_LOOP_END(BODY)                                                              \
    "ldr     r4, [sp, #20]\n\t"                                                             \
    "cmp     r12, r4\n\t"                                                                   \
    "bne     " BODY "b\n\t"

/* One requantized output: acc (2 * accumulator) in ACC, constants M, C, s; r10 temporary. */
#define MCUNET_PW_REQUANT(ACC, M, C, S)                                                       \
    "smmlar  r10, " ACC ", " M ", " C "\n\t"                                                \
    "add     " ACC ", r10, " ACC ", asr #31\n\t"                                            \
    "asr     " ACC ", " ACC ", " S "\n\t"                                                   \
    "ssat    " ACC ", #8, " ACC "\n\t"

#define MCUNET_PW_REQUANT4                                                                    \
    "ldmia   lr!, {r4-r9}\n\t"         /* M0 M1 C0 C1 s0 s1 */                              \
    MCUNET_PW_REQUANT("r0", "r4", "r6", "r8")                                               \
    MCUNET_PW_REQUANT("r1", "r5", "r7", "r9")                                               \
    MCUNET_PW_REQUANT("r2", "r4", "r6", "r8")                                               \
    MCUNET_PW_REQUANT("r3", "r5", "r7", "r9")

/* Stores of the full int8 range (SSAT is the activation clamp), then next pair. */
#define MCUNET_PW_STORE_FULL(NEXT)                                                            \
    "ldmia   sp, {r10-r12}\n\t"        /* out, delta, out end */                            \
    "strb    r0, [r10]\n\t"                                                                 \
    "strb    r1, [r10, #1]\n\t"                                                             \
    "add     r11, r11, r10\n\t"                                                             \
    "strb    r2, [r11]\n\t"                                                                 \
    "strb    r3, [r11, #1]\n\t"                                                             \
    "add     r10, r10, #2\n\t"                                                              \
    "str     r10, [sp]\n\t"                                                                 \
    "cmp     r10, r12\n\t"                                                                  \
    "bne     " NEXT "b\n\t"                                                                 \
    "b       99f\n\t"

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
    "strh    r0, [r10]\n\t"                                                                 \
    "lsr     r0, r0, #16\n\t"                                                               \
    "strh    r0, [r10, r11]\n\t"                                                            \
    "add     r10, r10, #2\n\t"                                                              \
    "str     r10, [sp]\n\t"                                                                 \
    "cmp     r10, r12\n\t"                                                                  \
    "bne     " NEXT "b\n\t"

#define MCUNET_PW_EPILOGUE                                                                    \
    "99:\n\t"                                                                               \
    "add     sp, sp, #24\n\t"                                                               \
    "pop     {r4-r11, pc}\n\t"

#endif /* MCUNET_PW_CORE_ASM_H */
