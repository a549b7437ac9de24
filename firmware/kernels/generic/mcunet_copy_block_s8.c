/* A block of rows from one tensor to another, each side with its own row stride: the SLICE
 * of a patch's input (with its halo) and the PASTE of a patch's output into the assembled
 * stage output (patch-based inference). Offsets and strides in bytes. */
#include <string.h>

#include "mcunet_kernels.h"

int32_t mcunet_copy_block_s8_get_buffer_size(void)
{
    return 0;
}

void mcunet_copy_block_s8(const int8_t *src, int32_t src_offset, int32_t src_stride, int8_t *dst,
                          int32_t dst_offset, int32_t dst_stride, int32_t rows, int32_t row_bytes)
{
    const int8_t *s = src + src_offset;
    int8_t *d = dst + dst_offset;
    for (int32_t r = 0; r < rows; ++r) {
        memcpy(d, s, (size_t)row_bytes);
        s += src_stride;
        d += dst_stride;
    }
}
