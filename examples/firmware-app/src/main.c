/* The application: one inference of the person detector on a test frame, its scores printed
 * in hex. expected.py computes the same line with mcunet's int8 reference. */
#include <stdint.h>

#include "report.h"
#include "vww/model.h"

static int8_t frame[VWW_INPUT0_BYTES];  /* a camera frame in a product */
static int8_t scores[VWW_OUTPUT0_BYTES];

int main(void)
{
    for (uint32_t i = 0; i < VWW_INPUT0_BYTES; ++i)
        frame[i] = (int8_t)(uint8_t)(i * 7u + 3u); /* the test frame (expected.py: frame_pattern) */
    int status = vww_invoke(frame, scores);
    report_puts("vww output ");
    report_hex(scores, VWW_OUTPUT0_BYTES);
    report_puts("\nvww arena ");
    report_dec(VWW_ARENA_BYTES);
    report_puts(status == 0 ? " bytes, ok\n" : " bytes, vww_invoke failed\n");
    return status;
}
