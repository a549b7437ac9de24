/* Emulator builds (QEMU mps2-an500 / mps2-an386): semihosting console and files,
 * SYS_EXIT_EXTENDED exit codes, and the FPGAIO counter as instruction counter.
 *
 * Input is read from "input.bin" in QEMU's working directory (one ELF serves every
 * input; the runner makes a fresh directory per run). Outputs go to "output.bin" and
 * the raw results block to "results.bin", decoded on the host by the same code that
 * decodes a block read back by the probe from a real board.
 */
#if defined(MCUNET_EMULATOR)

#include <stdint.h>
#include <string.h>

#include "mcunet_runtime.h"

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_READ 0x06
#define SYS_FLEN 0x0C
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define MODE_RB 1
#define MODE_WB 5

/* mps2 FPGAIO COUNTER: 25 MHz in virtual time; under -icount shift=3 one instruction
 * is 8 ns, so one tick is exactly 5 instructions. */
#define FPGAIO_COUNTER (*(volatile uint32_t *)0x40028018u)
#define INSTRUCTIONS_PER_TICK 5u

static int semihost(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static int sh_open(const char *name, int mode)
{
    const uint32_t args[3] = {(uint32_t)name, (uint32_t)mode, (uint32_t)strlen(name)};
    return semihost(SYS_OPEN, args);
}

static void sh_close(int fd)
{
    const uint32_t args[1] = {(uint32_t)fd};
    semihost(SYS_CLOSE, args);
}

static int sh_write_file(const char *name, const void *data, uint32_t n)
{
    int fd = sh_open(name, MODE_WB);
    if (fd < 0)
        return -1;
    const uint32_t args[3] = {(uint32_t)fd, (uint32_t)data, n};
    int left = semihost(SYS_WRITE, args);
    sh_close(fd);
    return left == 0 ? 0 : -1;
}

void mcunet_console_init(void) {}

void mcunet_puts(const char *s)
{
    semihost(SYS_WRITE0, s);
}

void mcunet_timer_init(void) {}

uint32_t mcunet_timer_now(void)
{
    return FPGAIO_COUNTER;
}

uint64_t mcunet_timer_to_count(uint32_t delta)
{
    mcunet_results.count_kind = MCUNET_COUNT_INSTRUCTIONS;
    return (uint64_t)delta * INSTRUCTIONS_PER_TICK;
}

int mcunet_platform_load_input(int8_t *buf, uint32_t n)
{
    int fd = sh_open("input.bin", MODE_RB);
    if (fd < 0) {
        mcunet_puts("MCUNET input.bin: cannot open\n");
        return -1;
    }
    const uint32_t flen_args[1] = {(uint32_t)fd};
    int len = semihost(SYS_FLEN, flen_args);
    if (len != (int)n) {
        mcunet_puts("MCUNET input.bin: expected ");
        mcunet_put_dec(n);
        mcunet_puts(" bytes, file has ");
        mcunet_put_dec((uint64_t)(len < 0 ? 0 : len));
        mcunet_puts("\n");
        sh_close(fd);
        return -1;
    }
    const uint32_t args[3] = {(uint32_t)fd, (uint32_t)buf, n};
    int left = semihost(SYS_READ, args);
    sh_close(fd);
    return left == 0 ? 0 : -1;
}

void mcunet_platform_report(const int8_t *output, uint32_t n)
{
    if (output && n)
        sh_write_file("output.bin", output, n);
    sh_write_file("results.bin", (const void *)&mcunet_results, sizeof(mcunet_results_t));
}

__attribute__((noreturn)) void mcunet_platform_exit(int code)
{
    const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    semihost(SYS_EXIT_EXTENDED, block);
    /* Only reached if the host lacks SYS_EXIT_EXTENDED: SYS_EXIT gives 0 or 1. */
    semihost(SYS_EXIT, (const void *)(code == 0 ? ADP_STOPPED_APPLICATION_EXIT : 0x20024));
    for (;;)
        ;
}

#endif /* MCUNET_EMULATOR */
