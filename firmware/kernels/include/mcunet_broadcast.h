/* The walk of a broadcast binary op (ADD, MUL): the output in order, one innermost row at a
 * time, each input at its own strides (0 where it is broadcast). Shapes arrive merged
 * (mcunet_core/engine/kernels/generic/nd.py), so rank <= MCUNET_MAX_DIMS. */
#ifndef MCUNET_BROADCAST_H
#define MCUNET_BROADCAST_H

#include <stdint.h>

#define MCUNET_MAX_DIMS 6

typedef struct {
    int32_t rank;
    const int32_t *dims;     /* output shape [rank] */
    const int32_t *a_stride; /* input 1 stride per output dim (0: broadcast) */
    const int32_t *b_stride; /* input 2 stride per output dim (0: broadcast) */
} mcunet_broadcast_t;

typedef struct {
    int32_t rows;   /* rows of the walk */
    int32_t n;      /* elements per row */
    int32_t sa, sb; /* the inputs' strides along a row */
    int32_t ia, ib; /* where the current row starts in each input */
    int32_t idx[MCUNET_MAX_DIMS];
} mcunet_broadcast_walk_t;

static inline void mcunet_broadcast_start(const mcunet_broadcast_t *s, mcunet_broadcast_walk_t *w)
{
    const int32_t last = s->rank - 1;
    w->rows = 1;
    for (int32_t d = 0; d < last; ++d) {
        w->rows *= s->dims[d];
        w->idx[d] = 0;
    }
    w->n = s->dims[last];
    w->sa = s->a_stride[last];
    w->sb = s->b_stride[last];
    w->ia = w->ib = 0;
}

/* Advance to the next row: an odometer over the outer dims. */
static inline void mcunet_broadcast_next(const mcunet_broadcast_t *s, mcunet_broadcast_walk_t *w)
{
    for (int32_t d = s->rank - 2; d >= 0; --d) {
        w->ia += s->a_stride[d];
        w->ib += s->b_stride[d];
        if (++w->idx[d] < s->dims[d]) {
            return;
        }
        w->ia -= s->a_stride[d] * s->dims[d];
        w->ib -= s->b_stride[d] * s->dims[d];
        w->idx[d] = 0;
    }
}

#endif /* MCUNET_BROADCAST_H */
