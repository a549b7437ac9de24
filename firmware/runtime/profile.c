/* Per-layer instruction/cycle counts (build with MCUNET_PROFILE_LAYERS=1).
 *
 * The generated mcunet_run() calls mcunet_profile_mark(-1) before the first op and
 * mcunet_profile_mark(i) after op i; the harness prints one console line per op,
 * "MCUNET layer <i> <count>", after the run. The marks cost a few instructions each,
 * so profile builds time the layers, and plain builds time the whole inference. */
#include "mcunet_runtime.h"

#ifdef MCUNET_PROFILE_LAYERS

#ifndef MCUNET_PROFILE_MAX_LAYERS
#define MCUNET_PROFILE_MAX_LAYERS 256
#endif

static uint32_t layer_ticks[MCUNET_PROFILE_MAX_LAYERS];
static uint32_t last_mark;
static int32_t layers_seen;

void mcunet_profile_mark(int32_t op_index)
{
    uint32_t now = mcunet_timer_now();
    if (op_index >= 0 && op_index < MCUNET_PROFILE_MAX_LAYERS) {
        layer_ticks[op_index] = now - last_mark;
        if (op_index + 1 > layers_seen) {
            layers_seen = op_index + 1;
        }
    }
    last_mark = mcunet_timer_now();
}

void mcunet_profile_report(void)
{
    for (int32_t i = 0; i < layers_seen; ++i) {
        mcunet_puts("MCUNET layer ");
        mcunet_put_dec((uint64_t)i);
        mcunet_puts(" ");
        mcunet_put_dec(mcunet_timer_to_count(layer_ticks[i]));
        mcunet_puts("\n");
    }
}

#endif /* MCUNET_PROFILE_LAYERS */
