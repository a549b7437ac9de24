/* Firmware runtime: the results block, status/exit codes, timer and console.
 *
 * Build flags (set by mcunet_core.device.toolchain, never by hand):
 *   MCUNET_EMULATOR=1   QEMU mps2 stand-in: semihosting I/O, FPGAIO counter
 *   MCUNET_HARDWARE=1   real board: no semihosting, DWT->CYCCNT, results block
 *                       read by the probe, one UART line
 *   MCUNET_STM32F4 / MCUNET_STM32F7 / MCUNET_STM32H7   chip family (hardware;
 *                       the family spec's `define`)
 *   MCUNET_CORE_M7      the core spec's `define`: the runtime enables the caches
 *   MCUNET_UART_*       UART wiring (hardware): registers from specs/families/,
 *                       pins from the board's `uart:`
 *   MCUNET_SRAM_EN_REG / MCUNET_SRAM_EN_BITS   RCC register and bits that clock
 *                       SRAMs off at reset (hardware; family spec `sram_clocks`)
 *
 * The layout of mcunet_results_t is mirrored field for field by
 * mcunet_core/device/results.py (a test keeps them equal): one uint32_t per line.
 */
#ifndef MCUNET_RUNTIME_H
#define MCUNET_RUNTIME_H

#include <stdint.h>

#if defined(MCUNET_EMULATOR) == defined(MCUNET_HARDWARE)
#error "define exactly one of MCUNET_EMULATOR, MCUNET_HARDWARE"
#endif

#define MCUNET_RESULTS_MAGIC   0x4E55434Du /* "MCUN" in memory order */
#define MCUNET_RESULTS_VERSION 2u
#define MCUNET_HOST_INPUT_MAGIC 0x54504E49u /* "INPT": the probe wrote the input */

/* results.status */
#define MCUNET_STATUS_NONE        0u
#define MCUNET_STATUS_RUNNING     1u
#define MCUNET_STATUS_OK          2u
#define MCUNET_STATUS_MODEL_ERROR 3u
#define MCUNET_STATUS_INPUT_ERROR 4u
#define MCUNET_STATUS_FAULT       5u

/* Process exit codes of emulator runs (SYS_EXIT_EXTENDED). 1 is QEMU's own error. */
#define MCUNET_EXIT_OK          0
#define MCUNET_EXIT_MODEL_ERROR 10
#define MCUNET_EXIT_INPUT_ERROR 11
#define MCUNET_EXIT_FAULT       12

/* results.count_kind */
#define MCUNET_COUNT_INSTRUCTIONS 1u /* emulator: FPGAIO ticks x 5 under -icount shift=3 */
#define MCUNET_COUNT_CYCLES       2u /* hardware: DWT->CYCCNT */

typedef struct {
    uint32_t magic;        /* MCUNET_RESULTS_MAGIC, written last */
    uint32_t version;
    uint32_t status;
    uint32_t count_kind;
    uint32_t count_lo;
    uint32_t count_hi;
    uint32_t invoke_ret;
    uint32_t stack_used;   /* high-water mark of the painted stack, bytes */
    uint32_t stack_size;
    uint32_t input_bytes;
    uint32_t output_addr;
    uint32_t output_bytes;
    uint32_t cfsr;
    uint32_t hfsr;
    uint32_t mmfar;
    uint32_t bfar;
    uint32_t fault_pc;
    uint32_t fault_lr;
    uint32_t fault_xpsr;
    uint32_t exc_return;
    uint32_t post_ran;     /* 1: the model's detection post-processing ran after invoke() */
    uint32_t post_count_lo; /* its instructions/cycles, counted apart from invoke()'s */
    uint32_t post_count_hi;
    uint32_t post_boxes;   /* the boxes it returned */
} mcunet_results_t;

/* Host -> target command block (hardware builds; uninitialised RAM, so a probe can
 * fill it while the core is halted at reset). */
typedef struct {
    uint32_t magic;        /* MCUNET_HOST_INPUT_MAGIC when input_buf holds the input */
    uint32_t input_bytes;
} mcunet_host_cmd_t;

extern volatile mcunet_results_t mcunet_results;

/* Timer: instructions (emulator) or cycles (hardware), 32-bit, wraps. */
void mcunet_timer_init(void);
uint32_t mcunet_timer_now(void);
uint64_t mcunet_timer_to_count(uint32_t delta);

/* Console: semihosting (emulator) or UART (hardware, if wired). */
void mcunet_console_init(void);
void mcunet_puts(const char *s);
void mcunet_put_hex(uint32_t v);
void mcunet_put_dec(uint64_t v);

/* Input/output transport. */
int mcunet_platform_load_input(int8_t *buf, uint32_t n);
void mcunet_platform_report(const int8_t *output, uint32_t n);

#ifdef MCUNET_PROFILE_LAYERS
/* Per-layer counts (profile.c): marks from the generated mcunet_run(), report after it. */
void mcunet_profile_mark(int32_t op_index);
void mcunet_profile_report(void);
#endif
__attribute__((noreturn)) void mcunet_platform_exit(int code);

/* Stack: bytes of the painted stack region touched so far. */
uint32_t mcunet_stack_used(void);
uint32_t mcunet_stack_size(void);

/* Board hooks (weak defaults in startup.c; board support may override). */
void mcunet_early_init(void);
void mcunet_board_clock_init(void);

/* Finish a run: status into the block, report, exit/park. Used by main and the fault handler. */
__attribute__((noreturn)) void mcunet_finish(uint32_t status, const int8_t *output, uint32_t output_bytes);

#endif /* MCUNET_RUNTIME_H */
