/* Reset, vector table, C runtime init, the stack guard and the HardFault reporter.
 *
 * Memory layout symbols come from the board linker script (firmware/linker/board.ld.j2):
 *   __stack_start__/__stack_end__  the stack section, lowest RAM of the data region; its
 *                                  lowest 32 bytes are an MPU no-access guard, so an
 *                                  overflow faults (on the chip and in QEMU, whose mps2
 *                                  map reads/writes below RAM silently)
 *   __data_start__/__data_end__/__data_load__  initialised data and its flash image
 *   __zero_table_start__/__zero_table_end__    (start, end) pairs to zero: .bss ...
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "mcunet_runtime.h"

#define STACK_PAINT 0xA5A5A5A5u
#define STR_(x) #x
#define STR(x) STR_(x)

extern uint32_t __stack_start__[], __stack_end__[];
extern uint32_t __data_start__[], __data_end__[], __data_load__[];
extern uint32_t __zero_table_start__[], __zero_table_end__[];
extern char __heap_start__[], __heap_end__[];

int main(void);
void Reset_Handler(void);
void HardFault_Handler(void);
void Default_Handler(void);
void mcunet_c_startup(void);
void mcunet_fault_report(uint32_t pc, uint32_t lr, uint32_t xpsr, uint32_t exc_return);

#define REG32(addr) (*(volatile uint32_t *)(addr))
#define SCB_VTOR  REG32(0xE000ED08u)
#define SCB_CFSR  REG32(0xE000ED28u)
#define SCB_HFSR  REG32(0xE000ED2Cu)
#define SCB_MMFAR REG32(0xE000ED34u)
#define SCB_BFAR  REG32(0xE000ED38u)
#define MPU_CTRL  REG32(0xE000ED94u)
#define MPU_RNR   REG32(0xE000ED98u)
#define MPU_RBAR  REG32(0xE000ED9Cu)
#define MPU_RASR  REG32(0xE000EDA0u)
#define STACK_GUARD_BYTES 32 /* also used in asm: no suffix */
#define CFSR_MMARVALID (1u << 7)
#define CFSR_BFARVALID (1u << 15)

typedef void (*vector_t)(void);

__attribute__((used, section(".isr_vector")))
const vector_t mcunet_vectors[16] = {
    (vector_t)__stack_end__, /* initial MSP */
    Reset_Handler,
    Default_Handler,   /* NMI */
    HardFault_Handler, /* HardFault */
    HardFault_Handler, /* MemManage (escalates; reported as fault) */
    HardFault_Handler, /* BusFault */
    HardFault_Handler, /* UsageFault */
    0, 0, 0, 0,
    Default_Handler,   /* SVCall */
    Default_Handler,   /* DebugMonitor */
    0,
    Default_Handler,   /* PendSV */
    Default_Handler,   /* SysTick */
};

/* Reset: set MSP, enable the FPU before any FP instruction, paint the whole stack,
 * then C init. Written in assembly so nothing touches the stack before it is painted. */
__attribute__((naked, noreturn)) void Reset_Handler(void)
{
    __asm volatile(
        "ldr   r0, =__stack_end__\n\t"
        "msr   msp, r0\n\t"
#if defined(__ARM_FP)
        "ldr   r0, =0xE000ED88\n\t" /* CPACR: CP10/CP11 full access */
        "ldr   r1, [r0]\n\t"
        "orr   r1, r1, #0x00F00000\n\t"
        "str   r1, [r0]\n\t"
        "dsb\n\t"
        "isb\n\t"
#endif
        "ldr   r0, =__stack_start__\n\t"
        "ldr   r1, =__stack_end__\n\t"
        "ldr   r2, =" STR(STACK_PAINT) "\n\t"
        "1:\n\t"
        "cmp   r0, r1\n\t"
        "bhs   2f\n\t"
        "str   r2, [r0], #4\n\t"
        "b     1b\n\t"
        "2:\n\t"
        "b     mcunet_c_startup\n\t"
        ".ltorg\n\t");
}

__attribute__((noreturn)) void mcunet_c_startup(void)
{
    mcunet_early_init();
    for (uint32_t *dst = __data_start__, *src = __data_load__; dst < __data_end__;)
        *dst++ = *src++;
    for (uint32_t *entry = __zero_table_start__; entry < __zero_table_end__; entry += 2)
        for (uint32_t *p = (uint32_t *)entry[0]; p < (uint32_t *)entry[1]; ++p)
            *p = 0;
    SCB_VTOR = (uint32_t)mcunet_vectors;
    /* Stack guard: MPU region 0, 32 bytes at the stack's low end, no access, never execute;
     * PRIVDEFENA keeps the default memory map everywhere else. */
    MPU_RNR = 0;
    MPU_RBAR = (uint32_t)__stack_start__;
    MPU_RASR = (1u << 28) | (0u << 24) | ((5u - 1u) << 1) | 1u; /* XN, AP=none, 2^5 B, enable */
    MPU_CTRL = (1u << 2) | 1u;
    __asm volatile("dsb\n\tisb" ::: "memory");
    mcunet_board_clock_init();
    mcunet_platform_exit(main());
}

/* Usable stack: the section less the guard. */
uint32_t mcunet_stack_size(void)
{
    return (uint32_t)((uintptr_t)__stack_end__ - (uintptr_t)__stack_start__) - (uint32_t)STACK_GUARD_BYTES;
}

uint32_t mcunet_stack_used(void)
{
    const uint32_t *p = __stack_start__ + STACK_GUARD_BYTES / 4;
    while (p < __stack_end__ && *p == STACK_PAINT)
        ++p;
    return (uint32_t)((uintptr_t)__stack_end__ - (uintptr_t)p);
}

/* HardFault (and the configurable faults, which escalate here). The stacked PC/LR/xPSR
 * are read only if the frame lies inside the usable stack (after an overflow it may be
 * below it, where the emulator reads zeros); then the handler continues on a fresh stack
 * at the top, so that a fault near the guard cannot fault again (lockup). */
__attribute__((naked)) void HardFault_Handler(void)
{
    __asm volatile(
        "tst   lr, #4\n\t"
        "ite   eq\n\t"
        "mrseq r12, msp\n\t"
        "mrsne r12, psp\n\t"
        "mov   r3, lr\n\t"               /* exc_return */
        "ldr   r0, =__stack_start__\n\t"
        "adds  r0, r0, #" STR(STACK_GUARD_BYTES) "\n\t"
        "cmp   r12, r0\n\t"
        "blo   1f\n\t"
        "ldr   r0, =__stack_end__\n\t"
        "subs  r0, r0, #32\n\t"
        "cmp   r12, r0\n\t"
        "bhi   1f\n\t"
        "ldr   r0, [r12, #24]\n\t"       /* stacked PC */
        "ldr   r1, [r12, #20]\n\t"       /* stacked LR */
        "ldr   r2, [r12, #28]\n\t"       /* stacked xPSR */
        "b     2f\n\t"
        "1:\n\t"
        "mvn   r0, #0\n\t"
        "mvn   r1, #0\n\t"
        "mvn   r2, #0\n\t"
        "2:\n\t"
        "ldr   r12, =__stack_end__\n\t"
        "msr   msp, r12\n\t"
        "isb\n\t"
        "b     mcunet_fault_report\n\t"
        ".ltorg\n\t");
}

__attribute__((noreturn)) void mcunet_fault_report(uint32_t pc, uint32_t lr, uint32_t xpsr, uint32_t exc_return)
{
    volatile mcunet_results_t *r = &mcunet_results;
    uint32_t cfsr = SCB_CFSR;
    r->cfsr = cfsr;
    r->hfsr = SCB_HFSR;
    r->mmfar = (cfsr & CFSR_MMARVALID) ? SCB_MMFAR : 0;
    r->bfar = (cfsr & CFSR_BFARVALID) ? SCB_BFAR : 0;
    r->exc_return = exc_return;
    r->fault_pc = pc;
    r->fault_lr = lr;
    r->fault_xpsr = xpsr;
    mcunet_puts("MCUNET HARDFAULT cfsr=");
    mcunet_put_hex(r->cfsr);
    mcunet_puts(" hfsr=");
    mcunet_put_hex(r->hfsr);
    mcunet_puts(" mmfar=");
    mcunet_put_hex(r->mmfar);
    mcunet_puts(" bfar=");
    mcunet_put_hex(r->bfar);
    mcunet_puts(" pc=");
    mcunet_put_hex(r->fault_pc);
    mcunet_puts(" lr=");
    mcunet_put_hex(r->fault_lr);
    mcunet_puts(" xpsr=");
    mcunet_put_hex(r->fault_xpsr);
    mcunet_puts("\n");
    mcunet_finish(MCUNET_STATUS_FAULT, 0, 0);
}

void Default_Handler(void)
{
    mcunet_puts("MCUNET unexpected exception\n");
    mcunet_finish(MCUNET_STATUS_FAULT, 0, 0);
}

/* malloc's heap: the spec's heap reserve (.heap), never beyond it. */
void *_sbrk(ptrdiff_t incr)
{
    static char *brk = __heap_start__;
    if (incr < 0 ? brk + incr < __heap_start__ : __heap_end__ - brk < incr) {
        errno = ENOMEM;
        return (void *)-1;
    }
    char *old = brk;
    brk += incr;
    return old;
}

__attribute__((weak)) void mcunet_early_init(void) {}
__attribute__((weak)) void mcunet_board_clock_init(void) {}
