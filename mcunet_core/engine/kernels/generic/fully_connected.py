"""Generic FULLY_CONNECTED with TFLite reference rescaling (the SMLAD kernel,
``kernels/fully_connected.py``, shares its lowering).

litert's reference FULLY_CONNECTED rescales in double precision (``quant.params``), not
with a Q31 multiplier, so the kernels end with ``round(acc * scale)``.
"""

from __future__ import annotations

import numpy as np

from ....ir.ops import FullyConnected
from ....quant import activation_range
from ....quant.params import fc_effective_scales
from ..base import (
    ConstArray, ConstStruct, Kernel, KernelCall, KernelPlan, LoweringContext, StreamingOverlap, StructArg, TensorArg,
)
from ..registry import register

RESCALE_SOURCE = "generic/mcunet_rescale_double_round.c"


def double_parts(values) -> tuple[np.ndarray, np.ndarray]:
    """Each double as mant * 2**exp with a 53-bit integer mant (0 for 0): exact, for the
    integer rescale of mcunet_rescale_double_round.c."""
    m, e = np.frexp(np.asarray(values, dtype=np.float64))
    mant = (m * 2.0**53).astype(np.uint64)
    return mant, np.where(mant == 0, 0, e - 53).astype(np.int32)


@register
class GenericFullyConnected(Kernel):
    OP = FullyConnected
    FUNCTION = "mcunet_fc_s8_generic"
    SOURCE = f"generic/{FUNCTION}.c"

    def plan(self, ctx: LoweringContext) -> KernelPlan:
        # rows in order; output row r is written while input row r is still read, so it
        # may only cover input rows before r
        x, w, _ = ctx.inputs
        out_features, in_features = w.shape
        rows = x.size // in_features
        rule = StreamingOverlap(0, in_features, out_features, rows, rows, dead_slope=1, dead_bias=0)
        return KernelPlan(self.FUNCTION, (self.SOURCE, RESCALE_SOURCE), 0, rule)

    def _bias(self, ctx: LoweringContext) -> tuple[np.ndarray | None, int]:
        """(int32 bias or None, input offset the kernel applies at run time)."""
        x, _, b = ctx.inputs
        return (None if b is None else b.data.reshape(-1)), -x.quant.single_zero_point

    def lower(self, ctx: LoweringContext) -> KernelCall:
        x, w, _ = ctx.inputs
        (y,) = ctx.outputs
        out_features, in_features = w.shape
        scales = np.broadcast_to(
            fc_effective_scales(x.quant.single_scale, w.quant.scale, y.quant.single_scale), (out_features,)
        )
        filter_zp = 0 if w.quant.per_channel else w.quant.single_zero_point
        out_zp = y.quant.single_zero_point
        lo, hi = activation_range(ctx.op.activation, y.quant.single_scale, out_zp)
        bias, input_offset = self._bias(ctx)
        p = ctx.prefix
        mant, exp = double_parts(scales)
        consts = [
            ConstArray(f"{p}_w", "int8_t", w.data.reshape(-1)),
            ConstArray(f"{p}_scale_mant", "uint64_t", mant, align=8),
            ConstArray(f"{p}_scale_exp", "int32_t", exp),
        ]
        if bias is not None:
            consts.append(ConstArray(f"{p}_bias", "int32_t", bias.astype(np.int32)))
        fields = (
            ("rows", x.size // in_features), ("in_features", in_features), ("out_features", out_features),
            ("input_offset", input_offset), ("filter_offset", -filter_zp),
            ("output_zp", out_zp), ("act_min", lo), ("act_max", hi),
            ("weights", f"{p}_w"), ("bias", f"{p}_bias" if bias is not None else None),
            ("scale_mant", f"{p}_scale_mant"), ("scale_exp", f"{p}_scale_exp"),
        )
        struct = ConstStruct(f"{p}_params", "mcunet_fc_params_t", fields)
        args = [StructArg(struct.name), TensorArg(x.name, const=True), TensorArg(y.name)]
        return KernelCall(ctx.index, self.plan(ctx), args, consts, [struct], comment=f"FULLY_CONNECTED {ctx.shapes()}")
