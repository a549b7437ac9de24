/* Reset and the vector table (Cortex-M7: the STM32H743 and its QEMU stand-in): the stack
 * from the linker script, the FPU on before any floating-point instruction, .data copied,
 * .bss zeroed, then main() and its status to report_exit(). */
#include <stdint.h>

#include "report.h"

extern uint32_t _estack[], _sdata[], _edata[], _sidata[], _sbss[], _ebss[];

int main(void);
void Reset_Handler(void);
void Fault_Handler(void);

#define CPACR (*(volatile uint32_t *)0xE000ED88u)

__attribute__((used, section(".isr_vector"))) void (*const vectors[16])(void) = {
    (void (*)(void))_estack, Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
};

void Reset_Handler(void)
{
    CPACR |= 0xFu << 20; /* CP10/CP11 full access */
    __asm volatile("dsb\n\tisb" ::: "memory");
    for (uint32_t *dst = _sdata, *src = _sidata; dst < _edata;)
        *dst++ = *src++;
    for (uint32_t *p = _sbss; p < _ebss;)
        *p++ = 0;
    report_exit(main());
}

void Fault_Handler(void)
{
    report_puts("fault\n");
    report_exit(3);
}
