/* The contract between a model object and the firmware harness.
 *
 * A model object is a plain set of C sources plus include directories (generated
 * model.c / model.h / weights.c and kernel sources). It must provide:
 *
 *   - a header "mcunet_model_config.h" on its include path defining
 *       MCUNET_INPUT_BYTES    size of the int8 input tensor in bytes
 *       MCUNET_OUTPUT_BYTES   size of the int8 output tensor in bytes
 *       MCUNET_ARENA_BYTES    size of the tensor arena (0 if the model uses none)
 *     and optionally
 *       MCUNET_INPUT_SHAPE  / MCUNET_INPUT_NDIM    e.g. {1, 96, 96, 3} / 4
 *       MCUNET_OUTPUT_SHAPE / MCUNET_OUTPUT_NDIM   e.g. {1, 2} / 2
 *         (recorded in the ELF so the host writes output.npy with the right shape)
 *       MCUNET_INPUT_BUFFER / MCUNET_OUTPUT_BUFFER  an int8_t * expression (e.g.
 *         (mcunet_arena + 1024)) when the planner places the model's input/output
 *         inside the arena; otherwise the harness allocates them statically.
 *   - the arena, defined exactly once by the model as
 *       MCUNET_ARENA int8_t mcunet_arena[MCUNET_ARENA_BYTES];
 *     (section .arena: the linker script puts it in the board's arena region,
 *      uninitialised, and the build fails if it does not fit)
 *   - int mcunet_invoke(const int8_t *input, int8_t *output);  0 = success.
 *
 * The harness measures only around mcunet_invoke().
 */
#ifndef MCUNET_MODEL_H
#define MCUNET_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "mcunet_model_config.h"

#ifndef MCUNET_INPUT_BYTES
#error "mcunet_model_config.h must define MCUNET_INPUT_BYTES"
#endif
#ifndef MCUNET_OUTPUT_BYTES
#error "mcunet_model_config.h must define MCUNET_OUTPUT_BYTES"
#endif
#ifndef MCUNET_ARENA_BYTES
#error "mcunet_model_config.h must define MCUNET_ARENA_BYTES"
#endif

/* Placement of the tensor arena: NOLOAD section in the board's arena region. */
#define MCUNET_ARENA __attribute__((section(".arena"), aligned(16)))

/* Static RAM in a named board region (e.g. MCUNET_IN_REGION(sram1) for the H743's
 * SRAM1), zeroed at reset: section .region.<lower-case region name>. */
#define MCUNET_IN_REGION(name) __attribute__((section(".region." #name), aligned(8)))

#if MCUNET_ARENA_BYTES > 0
extern int8_t mcunet_arena[MCUNET_ARENA_BYTES];
#endif

int mcunet_invoke(const int8_t *input, int8_t *output);

/* Optional: detection post-processing. A model whose config defines MCUNET_POSTPROCESS
 * (with MCUNET_NETWORK_OUTPUT_BYTES, MCUNET_DETECTIONS_BYTES; MCUNET_OUTPUT_BYTES is their
 * sum) provides these; the harness runs mcunet_postprocess() after mcunet_invoke(), counts
 * it apart, and returns the record after the network's outputs. */
#ifdef MCUNET_POSTPROCESS
#if !defined(MCUNET_NETWORK_OUTPUT_BYTES) || !defined(MCUNET_DETECTIONS_BYTES)
#error "MCUNET_POSTPROCESS needs MCUNET_NETWORK_OUTPUT_BYTES and MCUNET_DETECTIONS_BYTES"
#endif
int32_t mcunet_postprocess(void);
const int32_t *mcunet_detections(void);
#endif

#endif /* MCUNET_MODEL_H */
