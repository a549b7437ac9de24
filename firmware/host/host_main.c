/*
 * Host (desktop gcc) harness for generated models: runs the same generated C as the
 * firmware, on the kernels' plain-C paths, under AddressSanitizer/UBSan in tests.
 * usage: host_main in0.bin [in1.bin ...] out0.bin [out1.bin ...] [detections.bin]
 * (a model with detection post-processing runs mcunet_postprocess() after mcunet_run() and
 * writes its record last).
 */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"

static const size_t input_bytes[] = {
#define X(i) MCUNET_INPUT##i##_BYTES
    X(0),
#if MCUNET_NUM_INPUTS > 1
    X(1),
#endif
#if MCUNET_NUM_INPUTS > 2
    X(2),
#endif
#undef X
};

static const size_t output_bytes[] = {
#define X(i) MCUNET_OUTPUT##i##_BYTES
    X(0),
#if MCUNET_NUM_OUTPUTS > 1
    X(1),
#endif
#if MCUNET_NUM_OUTPUTS > 2
    X(2),
#endif
#undef X
};

static int transfer(const char *path, void *buf, size_t n, int writing)
{
    FILE *f = fopen(path, writing ? "wb" : "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    size_t done = writing ? fwrite(buf, 1, n, f) : fread(buf, 1, n, f);
    fclose(f);
    if (done != n) {
        fprintf(stderr, "%s: expected %zu bytes, got %zu\n", path, n, done);
        return 1;
    }
    return 0;
}

#ifdef MCUNET_POSTPROCESS
#define FILES_OUT (MCUNET_NUM_OUTPUTS + 1)
#else
#define FILES_OUT MCUNET_NUM_OUTPUTS
#endif

int main(int argc, char **argv)
{
    if (MCUNET_NUM_INPUTS > 3 || MCUNET_NUM_OUTPUTS > 3 || argc != 1 + MCUNET_NUM_INPUTS + FILES_OUT) {
        fprintf(stderr, "usage: %s <%d input files> <%d output files>\n", argv[0], MCUNET_NUM_INPUTS, FILES_OUT);
        return 2;
    }
    for (int i = 0; i < MCUNET_NUM_INPUTS; ++i) {
#ifdef MCUNET_INPUTS_EXTERNAL /* the inputs live outside the arena: the application's buffers */
        mcunet_set_input(i, calloc(1, input_bytes[i]));
#endif
        if (transfer(argv[1 + i], mcunet_input(i), input_bytes[i], 0)) {
            return 1;
        }
    }
    mcunet_run();
#ifdef MCUNET_POSTPROCESS
    mcunet_postprocess();
    if (transfer(argv[argc - 1], (void *)mcunet_detections(), MCUNET_DETECTIONS_BYTES, 1)) {
        return 1;
    }
#endif
    for (int i = 0; i < MCUNET_NUM_OUTPUTS; ++i) {
        if (transfer(argv[1 + MCUNET_NUM_INPUTS + i], (void *)mcunet_output(i), output_bytes[i], 1)) {
            return 1;
        }
    }
    return 0;
}
