/* The measurement harness: load the input, time mcunet_invoke() and nothing else,
 * record the stack high-water mark, report. A model with detection post-processing
 * (MCUNET_POSTPROCESS) has it timed apart, after invoke(), and its record returned after
 * the network's outputs.
 *
 * mcunet_info (section .mcunet_info, kept by the linker) tells the host, from the ELF
 * file alone, where the input/output/results/host-command blocks live and the tensor
 * shapes. Its layout is mirrored by mcunet_core/device/results.py.
 */
#include <stdint.h>

#include "mcunet_model.h"
#include "mcunet_runtime.h"

#ifndef MCUNET_INPUT_NDIM
#define MCUNET_INPUT_NDIM 1
#define MCUNET_INPUT_SHAPE {MCUNET_INPUT_BYTES}
#endif
#ifndef MCUNET_OUTPUT_NDIM
#define MCUNET_OUTPUT_NDIM 1
#define MCUNET_OUTPUT_SHAPE {MCUNET_OUTPUT_BYTES}
#endif
#if MCUNET_INPUT_NDIM > 8 || MCUNET_OUTPUT_NDIM > 8
#error "tensor rank above 8"
#endif

#define MCUNET_INFO_MAGIC 0x464E494Du /* "MINF" */
#define MCUNET_INFO_VERSION 1u

/* .noinit: not zeroed at reset, so a probe can write the input while the core is halted. */
#define NOINIT __attribute__((section(".noinit"), aligned(8)))

#ifdef MCUNET_INPUT_BUFFER
#define INPUT_PTR ((int8_t *)(MCUNET_INPUT_BUFFER))
#elif defined(MCUNET_INPUT_EXTERNAL)
/* The model reads its input outside the arena (input_placement: external): this stands for
 * the application's frame buffer (a camera's DMA buffer, external SDRAM), in its own section
 * so the memory report counts it apart from peak SRAM. NOLOAD, not zeroed: the probe writes it. */
static int8_t input_storage[MCUNET_INPUT_BYTES] __attribute__((section(".mcunet_frame"), aligned(8)));
#define INPUT_PTR (input_storage)
#else
static int8_t input_storage[MCUNET_INPUT_BYTES] NOINIT;
#define INPUT_PTR (input_storage)
#endif

#ifdef MCUNET_OUTPUT_BUFFER
#define OUTPUT_PTR ((int8_t *)(MCUNET_OUTPUT_BUFFER))
#else
static int8_t output_storage[MCUNET_OUTPUT_BYTES] __attribute__((aligned(8)));
#define OUTPUT_PTR (output_storage)
#endif

volatile mcunet_results_t mcunet_results;
mcunet_host_cmd_t mcunet_host_cmd NOINIT;

#if defined(MCUNET_EMULATOR)
#define MCUNET_VARIANT 1u
#else
#define MCUNET_VARIANT 2u
#endif

typedef struct {
    uint32_t magic;
    uint32_t version;
    uint32_t variant; /* 1 emulator, 2 hardware */
    uint32_t input_addr;
    uint32_t input_bytes;
    uint32_t output_addr;
    uint32_t output_bytes;
    uint32_t results_addr;
    uint32_t results_bytes;
    uint32_t host_cmd_addr;
    uint32_t arena_bytes;
    uint32_t input_ndim;
    int32_t input_shape[8];
    uint32_t output_ndim;
    int32_t output_shape[8];
} mcunet_info_t;

__attribute__((used, section(".mcunet_info")))
const mcunet_info_t mcunet_info = {
    .magic = MCUNET_INFO_MAGIC,
    .version = MCUNET_INFO_VERSION,
    .variant = MCUNET_VARIANT,
    .input_addr = (uint32_t)INPUT_PTR,
    .input_bytes = MCUNET_INPUT_BYTES,
    .output_addr = (uint32_t)OUTPUT_PTR,
    .output_bytes = MCUNET_OUTPUT_BYTES,
    .results_addr = (uint32_t)&mcunet_results,
    .results_bytes = sizeof(mcunet_results_t),
    .host_cmd_addr = (uint32_t)&mcunet_host_cmd,
    .arena_bytes = MCUNET_ARENA_BYTES,
    .input_ndim = MCUNET_INPUT_NDIM,
    .input_shape = MCUNET_INPUT_SHAPE,
    .output_ndim = MCUNET_OUTPUT_NDIM,
    .output_shape = MCUNET_OUTPUT_SHAPE,
};

static const char *status_name(uint32_t status)
{
    switch (status) {
    case MCUNET_STATUS_OK: return "ok";
    case MCUNET_STATUS_MODEL_ERROR: return "model_error";
    case MCUNET_STATUS_INPUT_ERROR: return "input_error";
    case MCUNET_STATUS_FAULT: return "fault";
    default: return "unknown";
    }
}

static int exit_code(uint32_t status)
{
    switch (status) {
    case MCUNET_STATUS_OK: return MCUNET_EXIT_OK;
    case MCUNET_STATUS_MODEL_ERROR: return MCUNET_EXIT_MODEL_ERROR;
    case MCUNET_STATUS_INPUT_ERROR: return MCUNET_EXIT_INPUT_ERROR;
    default: return MCUNET_EXIT_FAULT;
    }
}

__attribute__((noreturn)) void mcunet_finish(uint32_t status, const int8_t *output, uint32_t output_bytes)
{
    volatile mcunet_results_t *r = &mcunet_results;
    r->status = status;
    r->output_addr = (uint32_t)output;
    r->output_bytes = output_bytes;
    __asm volatile("dsb" ::: "memory");
    r->magic = MCUNET_RESULTS_MAGIC; /* last: the probe polls it */
    __asm volatile("dsb" ::: "memory");

    mcunet_puts("MCUNET status=");
    mcunet_puts(status_name(status));
    if (r->count_kind != 0) { /* measured: invoke() returned */
        mcunet_puts(r->count_kind == MCUNET_COUNT_CYCLES ? " cycles=" : " instructions=");
        mcunet_put_dec(((uint64_t)r->count_hi << 32) | r->count_lo);
        mcunet_puts(" stack=");
        mcunet_put_dec(r->stack_used);
    }
    if (r->post_ran) {
        mcunet_puts(" postprocess=");
        mcunet_put_dec(((uint64_t)r->post_count_hi << 32) | r->post_count_lo);
        mcunet_puts(" boxes=");
        mcunet_put_dec(r->post_boxes);
    }
    mcunet_puts("\n");
#ifdef MCUNET_PROFILE_LAYERS
    if (status == MCUNET_STATUS_OK) {
        mcunet_profile_report();
    }
#endif
    mcunet_platform_report(output, output_bytes);
    mcunet_platform_exit(exit_code(status));
}

int main(void)
{
    volatile mcunet_results_t *r = &mcunet_results;
    mcunet_console_init();
    r->version = MCUNET_RESULTS_VERSION;
    r->status = MCUNET_STATUS_RUNNING;
    r->stack_size = mcunet_stack_size();
    r->input_bytes = MCUNET_INPUT_BYTES;

    if (mcunet_platform_load_input(INPUT_PTR, MCUNET_INPUT_BYTES) != 0)
        mcunet_finish(MCUNET_STATUS_INPUT_ERROR, 0, 0);

    mcunet_timer_init();
    __asm volatile("" ::: "memory");
    uint32_t t0 = mcunet_timer_now();
    __asm volatile("" ::: "memory");
    int ret = mcunet_invoke(INPUT_PTR, OUTPUT_PTR);
    __asm volatile("" ::: "memory");
    uint32_t t1 = mcunet_timer_now();
    __asm volatile("" ::: "memory");

    uint64_t count = mcunet_timer_to_count(t1 - t0);
    r->count_lo = (uint32_t)count;
    r->count_hi = (uint32_t)(count >> 32);
#ifdef MCUNET_POSTPROCESS
    if (ret == 0) {
        __asm volatile("" ::: "memory");
        uint32_t p0 = mcunet_timer_now();
        __asm volatile("" ::: "memory");
        int32_t boxes = mcunet_postprocess();
        __asm volatile("" ::: "memory");
        uint32_t p1 = mcunet_timer_now();
        __asm volatile("" ::: "memory");
        uint64_t post = mcunet_timer_to_count(p1 - p0);
        r->post_count_lo = (uint32_t)post;
        r->post_count_hi = (uint32_t)(post >> 32);
        r->post_boxes = (uint32_t)boxes;
        r->post_ran = 1;
        const uint8_t *record = (const uint8_t *)mcunet_detections();
        uint8_t *tail = (uint8_t *)OUTPUT_PTR + MCUNET_NETWORK_OUTPUT_BYTES;
        for (uint32_t i = 0; i < MCUNET_DETECTIONS_BYTES; ++i)
            tail[i] = record[i];
    }
#endif
    r->stack_used = mcunet_stack_used();
    r->invoke_ret = (uint32_t)ret;
    mcunet_finish(ret == 0 ? MCUNET_STATUS_OK : MCUNET_STATUS_MODEL_ERROR, OUTPUT_PTR, MCUNET_OUTPUT_BYTES);
}

/* Console number formatting (no printf: no heap, no libc I/O). */
void mcunet_put_hex(uint32_t v)
{
    char buf[11] = "0x";
    for (int i = 0; i < 8; ++i) {
        uint32_t nib = (v >> (28 - 4 * i)) & 0xFu;
        buf[2 + i] = (char)(nib < 10 ? '0' + nib : 'a' + nib - 10);
    }
    buf[10] = 0;
    mcunet_puts(buf);
}

void mcunet_put_dec(uint64_t v)
{
    char buf[21];
    int i = 20;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + (v % 10u));
        v /= 10u;
    } while (v);
    mcunet_puts(&buf[i]);
}
