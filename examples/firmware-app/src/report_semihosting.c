/* report.h over Arm semihosting: `bkpt 0xab` hands each call to the debugger (QEMU, or the
 * probe through `python -m mcunet_core.device app --runner pyocd`). Without a debugger the
 * bkpt faults: a build for a board on its own reports through its UART instead. */
#include "report.h"

#define SYS_WRITE0 0x04
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static int semihost(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void report_puts(const char *s)
{
    semihost(SYS_WRITE0, s);
}

void report_hex(const int8_t *bytes, uint32_t n)
{
    static const char digits[] = "0123456789abcdef";
    char chunk[65];
    uint32_t used = 0;
    for (uint32_t i = 0; i < n; ++i) {
        uint8_t b = (uint8_t)bytes[i];
        chunk[used++] = digits[b >> 4];
        chunk[used++] = digits[b & 0xFu];
        if (used == sizeof chunk - 1 || i == n - 1) {
            chunk[used] = 0;
            report_puts(chunk);
            used = 0;
        }
    }
}

void report_dec(uint32_t v)
{
    char buf[11];
    int i = 10;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    report_puts(&buf[i]);
}

void report_exit(int status)
{
    const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    semihost(SYS_EXIT_EXTENDED, block);
    semihost(SYS_EXIT, (const void *)(status == 0 ? ADP_STOPPED_APPLICATION_EXIT : 0x20024)); /* 0 or 1 only */
    for (;;)
        ;
}
