/* The double-precision rescale of TFLite's reference FULLY_CONNECTED. */
#include <math.h>

#include "mcunet_kernels.h"

int32_t mcunet_rescale_double_round(int32_t acc, double scale)
{
    const double r = round((double)acc * scale);
    if (!(r < 2147483648.0 && r >= -2147483648.0)) {
        return INT32_MIN;
    }
    return (int32_t)r;
}
