#include "conv1x1_s8.h"

/* gemmlowp SaturatingRoundingDoublingHighMul */
static inline int32_t srdhm(int32_t a, int32_t b)
{
    if (a == b && a == INT32_MIN)
        return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));
    return (int32_t)((ab + nudge) / (1ll << 31)); /* C division truncates toward zero */
}

/* gemmlowp RoundingDivideByPOT */
static inline int32_t rdbpot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)((1ll << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier */
static inline int32_t requantize(int32_t acc, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return rdbpot(srdhm((int32_t)((uint32_t)acc << left), multiplier), right);
}

int conv1x1_s8(const conv1x1_s8_params *p, const int8_t *input, const int8_t *weights,
               const int32_t *bias, const int32_t *multiplier, const int32_t *shift, int8_t *output)
{
    if (p->in_ch <= 0 || p->out_ch <= 0 || p->pixels <= 0)
        return 1;
    for (int32_t px = 0; px < p->pixels; ++px) {
        const int8_t *in = input + px * p->in_ch;
        int8_t *out = output + px * p->out_ch;
        for (int32_t oc = 0; oc < p->out_ch; ++oc) {
            const int8_t *w = weights + oc * p->in_ch;
            int32_t acc = bias ? bias[oc] : 0;
            for (int32_t ic = 0; ic < p->in_ch; ++ic)
                acc += ((int32_t)in[ic] + p->input_offset) * (int32_t)w[ic];
            acc = requantize(acc, multiplier[oc], shift[oc]) + p->output_offset;
            acc = acc < p->act_min ? p->act_min : acc;
            acc = acc > p->act_max ? p->act_max : acc;
            out[oc] = (int8_t)acc;
        }
    }
    return 0;
}
