/* Hardware builds (real STM32 boards through a debug probe): no semihosting.
 *
 * - Timer: DWT->CYCCNT (core cycles).
 * - Input: the probe writes it into the input buffer (uninitialised RAM) while the core
 *   is halted at reset and sets mcunet_host_cmd.magic; otherwise an input compiled into
 *   the image (MCUNET_INPUT_EMBEDDED) is used; otherwise the run reports input_error.
 * - Results: the mcunet_results block (read back by the probe via the ELF symbol
 *   addresses) plus one UART line with a CRC-32 of the output, if a UART is wired.
 * - End: BKPT when a debugger is attached (the probe sees the halt at once), else park.
 */
#if defined(MCUNET_HARDWARE)

#include <stdint.h>
#include <string.h>

#include "mcunet_runtime.h"

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

#define DEMCR REG32(0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL REG32(0xE0001000u)
#define DWT_CYCCNT REG32(0xE0001004u)
#define DWT_LAR REG32(0xE0001FB0u)
#define DHCSR REG32(0xE000EDF0u)
#define DHCSR_C_DEBUGEN (1u << 0)

#define SCB_CCR REG32(0xE000ED14u)
#define SCB_CCR_IC (1u << 17)
#define SCB_CCR_DC (1u << 16)
#define SCB_CCSIDR REG32(0xE000ED80u)
#define SCB_CSSELR REG32(0xE000ED84u)
#define SCB_ICIALLU REG32(0xE000EF50u)
#define SCB_DCISW REG32(0xE000EF60u)
#define SCB_DCCSW REG32(0xE000EF6Cu)

static inline void dsb_isb(void)
{
    __asm volatile("dsb\n\tisb" ::: "memory");
}

/* ---- Cortex-M7 caches (the measured program should run as it would in production) --- */
#if defined(MCUNET_CORE_M7)
static void dcache_set_way_op(volatile uint32_t *reg)
{
    SCB_CSSELR = 0; /* level 1 data cache */
    dsb_isb();
    uint32_t ccsidr = SCB_CCSIDR;
    uint32_t sets = (ccsidr >> 13) & 0x7FFFu;
    uint32_t ways = (ccsidr >> 3) & 0x3FFu;
    do {
        uint32_t w = ways;
        do {
            *reg = ((sets << 5) & 0x3FE0u) | ((w << 30) & 0xC0000000u);
        } while (w-- != 0);
    } while (sets-- != 0);
    dsb_isb();
}

static void caches_enable(void)
{
    dsb_isb();
    SCB_ICIALLU = 0;
    dsb_isb();
    SCB_CCR |= SCB_CCR_IC;
    dsb_isb();
    dcache_set_way_op(&SCB_DCISW);
    SCB_CCR |= SCB_CCR_DC;
    dsb_isb();
}

static void dcache_clean(void)
{
    if (SCB_CCR & SCB_CCR_DC)
        dcache_set_way_op(&SCB_DCCSW);
}
#else
static void caches_enable(void) {}
static void dcache_clean(void) {}
#endif

/* Runs before .data/.bss init. */
void mcunet_early_init(void)
{
#if defined(MCUNET_SRAM_EN_REG)
    /* RAM clocks off at reset (H7: RCC_AHB2ENR, D2 SRAM1/2/3), before anything lives there;
     * register and bits from the family spec (specs/families/, sram_clocks). */
    REG32(MCUNET_SRAM_EN_REG) |= MCUNET_SRAM_EN_BITS;
    (void)REG32(MCUNET_SRAM_EN_REG);
#endif
    caches_enable();
}

/* ---- UART (optional; wiring from the board spec, see mcunet_core.device.uart) -------- */
#if defined(MCUNET_UART_BASE)
#define UART_TIMEOUT 100000u
#if MCUNET_UART_STYLE == 1 /* STM32F4 USART: SR/DR/BRR/CR1 */
#define UART_SR REG32(MCUNET_UART_BASE + 0x00u)
#define UART_TX REG32(MCUNET_UART_BASE + 0x04u)
#define UART_BRR REG32(MCUNET_UART_BASE + 0x08u)
#define UART_CR1 REG32(MCUNET_UART_BASE + 0x0Cu)
#define UART_CR1_ENABLE ((1u << 13) | (1u << 3)) /* UE | TE */
#else /* STM32F7 / H7 USART: CR1/BRR/ISR/TDR */
#define UART_CR1 REG32(MCUNET_UART_BASE + 0x00u)
#define UART_BRR REG32(MCUNET_UART_BASE + 0x0Cu)
#define UART_SR REG32(MCUNET_UART_BASE + 0x1Cu)
#define UART_TX REG32(MCUNET_UART_BASE + 0x28u)
#define UART_CR1_ENABLE ((1u << 0) | (1u << 3)) /* UE | TE */
#endif
#define UART_TXE (1u << 7)

void mcunet_console_init(void)
{
    REG32(MCUNET_UART_GPIO_EN_REG) |= MCUNET_UART_GPIO_EN_BIT;
    REG32(MCUNET_UART_EN_REG) |= MCUNET_UART_EN_BIT;
    (void)REG32(MCUNET_UART_EN_REG); /* clock settles */
    const uint32_t pin = MCUNET_UART_TX_PIN;
    volatile uint32_t *moder = &REG32(MCUNET_UART_GPIO_BASE + 0x00u);
    volatile uint32_t *afr = &REG32(MCUNET_UART_GPIO_BASE + 0x20u + 4u * (pin / 8u));
    *afr = (*afr & ~(0xFu << (4u * (pin % 8u)))) | ((uint32_t)MCUNET_UART_AF << (4u * (pin % 8u)));
    *moder = (*moder & ~(3u << (2u * pin))) | (2u << (2u * pin)); /* alternate function */
    UART_CR1 = 0;
    UART_BRR = MCUNET_UART_BRR;
    UART_CR1 = UART_CR1_ENABLE;
}

static void uart_putc(char c)
{
    for (uint32_t i = 0; i < UART_TIMEOUT && !(UART_SR & UART_TXE); ++i)
        ;
    UART_TX = (uint8_t)c;
}

void mcunet_puts(const char *s)
{
    while (*s) {
        if (*s == '\n')
            uart_putc('\r');
        uart_putc(*s++);
    }
}
#else
void mcunet_console_init(void) {}
void mcunet_puts(const char *s) { (void)s; }
#endif

/* ---- DWT cycle counter --------------------------------------------------------------- */
void mcunet_timer_init(void)
{
    DEMCR |= DEMCR_TRCENA;
    DWT_LAR = 0xC5ACCE55u; /* unlock (Cortex-M7; ignored where absent) */
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;
}

uint32_t mcunet_timer_now(void)
{
    return DWT_CYCCNT;
}

uint64_t mcunet_timer_to_count(uint32_t delta)
{
    mcunet_results.count_kind = MCUNET_COUNT_CYCLES;
    return delta;
}

/* ---- Input ---------------------------------------------------------------------------- */
extern mcunet_host_cmd_t mcunet_host_cmd;
#if defined(MCUNET_INPUT_EMBEDDED)
extern const int8_t mcunet_embedded_input[];
extern const uint32_t mcunet_embedded_input_bytes;
#endif

int mcunet_platform_load_input(int8_t *buf, uint32_t n)
{
    if (mcunet_host_cmd.magic == MCUNET_HOST_INPUT_MAGIC) {
        mcunet_host_cmd.magic = 0; /* consumed: a later reset without a probe won't reuse it */
        if (mcunet_host_cmd.input_bytes == n)
            return 0;
        mcunet_puts("MCUNET host input has the wrong size\n");
        return -1;
    }
#if defined(MCUNET_INPUT_EMBEDDED)
    if (mcunet_embedded_input_bytes == n) {
        memcpy(buf, mcunet_embedded_input, n);
        return 0;
    }
#endif
    (void)buf;
    mcunet_puts("MCUNET no input (probe did not write one, none embedded)\n");
    return -1;
}

/* ---- Report and end ------------------------------------------------------------------ */
static uint32_t crc32(const int8_t *p, uint32_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < n; ++i) {
        crc ^= (uint8_t)p[i];
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

void mcunet_platform_report(const int8_t *output, uint32_t n)
{
    mcunet_puts("MCUNET output_bytes=");
    mcunet_put_dec(n);
    mcunet_puts(" crc32=");
    mcunet_put_hex(output ? crc32(output, n) : 0);
    mcunet_puts("\n");
    dcache_clean(); /* the probe reads RAM, not the cache */
}

__attribute__((noreturn)) void mcunet_platform_exit(int code)
{
    (void)code; /* the status is in the results block */
    dcache_clean();
    if (DHCSR & DHCSR_C_DEBUGEN)
        __asm volatile("bkpt #0");
    for (;;)
        __asm volatile("nop");
}

#endif /* MCUNET_HARDWARE */
