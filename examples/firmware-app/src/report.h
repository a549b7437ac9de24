/* How the application reports: text and an exit status. report_semihosting.c serves the
 * tests (QEMU, or a board with its debug probe attached); a product build would put its
 * UART here. */
#ifndef APP_REPORT_H
#define APP_REPORT_H

#include <stdint.h>

void report_puts(const char *s);
void report_hex(const int8_t *bytes, uint32_t n);
void report_dec(uint32_t v);
__attribute__((noreturn)) void report_exit(int status);

#endif /* APP_REPORT_H */
