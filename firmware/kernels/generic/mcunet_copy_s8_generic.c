/* Byte copy for data moves that cannot be views (source constant or a graph output). */
#include "mcunet_kernels.h"

int32_t mcunet_copy_s8_generic_get_buffer_size(void)
{
    return 0;
}

void mcunet_copy_s8_generic(const int8_t *in, int8_t *out, int32_t bytes)
{
    if (out == in) {
        return;
    }
    for (int32_t i = 0; i < bytes; ++i) {
        out[i] = in[i];
    }
}
