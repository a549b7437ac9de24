"""Test-side writer of small .tflite flatbuffers (the flatbuffers builder + the ``tflite`` package).

Only what the tests need: tensors with per-tensor / per-channel quantization and
constant data (``int4`` packed two per byte, low nibble first, as TFLite stores it),
builtin operators with their options tables, unused opcode-table entries, and a way to
emit deliberately odd files (e.g. a bias carrying quantized_dimension 3, or ``raw`` buffer
bytes such as an int4 buffer of the wrong length).

>>> mb = ModelBuilder()
>>> x = mb.tensor([1, 8, 8, 3], "int8", scale=0.1, zero_point=-3)
>>> ...
>>> data = mb.finish(inputs=[x], outputs=[y])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import flatbuffers
import numpy as np
import tflite

from mcunet_core.ir.int4 import pack_int4

TYPES = {"float32": 0, "int32": 2, "uint8": 3, "int64": 4, "int16": 7, "int8": 9, "int4": 17}
NP_TYPES = {"float32": "<f4", "int32": "<i4", "uint8": "u1", "int64": "<i8", "int16": "<i2", "int8": "i1"}
ACT = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3, "TANH": 4}
PADDING = {"SAME": 0, "VALID": 1}

OptionsFn = Callable[[flatbuffers.Builder], int]


@dataclass
class _T:
    shape: tuple[int, ...]
    type: str
    name: str
    buffer: int
    scale: np.ndarray | None
    zero_point: np.ndarray | None
    quantized_dimension: int


@dataclass
class _Op:
    opcode: int
    inputs: list[int]
    outputs: list[int]
    options_type: int
    options: OptionsFn | None


@dataclass
class ModelBuilder:
    tensors: list[_T] = field(default_factory=list)
    buffers: list[bytes] = field(default_factory=lambda: [b""])
    ops: list[_Op] = field(default_factory=list)
    opcodes: list[tuple[int, int]] = field(default_factory=list)

    def tensor(self, shape, dtype: str, *, name: str | None = None, scale=None, zero_point=None,
               quantized_dimension: int = 0, data=None, raw: bytes | None = None) -> int:
        buf = 0
        if data is not None:
            if np.asarray(data).size != int(np.prod(shape, dtype=np.int64)):
                raise ValueError("data does not match shape")
            if dtype == "int4":
                raw = pack_int4(data)
            else:
                raw = np.asarray(data).astype(NP_TYPES[dtype]).tobytes()
        if raw is not None:
            self.buffers.append(bytes(raw))
            buf = len(self.buffers) - 1
        sc = None if scale is None else np.atleast_1d(np.asarray(scale, dtype=np.float32))
        zp = None
        if sc is not None:
            zp = np.zeros(sc.shape, np.int64) if zero_point is None else np.atleast_1d(np.asarray(zero_point, np.int64))
        idx = len(self.tensors)
        self.tensors.append(_T(tuple(int(d) for d in shape), dtype, name or f"t{idx}", buf, sc, zp, quantized_dimension))
        return idx

    def opcode(self, builtin: str | int, version: int = 1) -> int:
        code = getattr(tflite.BuiltinOperator, builtin) if isinstance(builtin, str) else builtin
        key = (code, version)
        if key not in self.opcodes:
            self.opcodes.append(key)
        return self.opcodes.index(key)

    def op(self, builtin: str, inputs: Sequence[int], outputs: Sequence[int], options_type: int = 0,
           options: OptionsFn | None = None, version: int = 1) -> None:
        self.ops.append(_Op(self.opcode(builtin, version), list(inputs), list(outputs), options_type, options))

    # -- serialization ------------------------------------------------------------------------

    def finish(self, inputs: Sequence[int], outputs: Sequence[int]) -> bytes:
        b = flatbuffers.Builder(1024)
        buffer_offsets = []
        for data in self.buffers:
            vec = _aligned_bytes(b, data) if data else None
            tflite.BufferStart(b)
            if vec is not None:
                tflite.BufferAddData(b, vec)
            buffer_offsets.append(tflite.BufferEnd(b))
        tensor_offsets = []
        for t in self.tensors:
            name = b.CreateString(t.name)
            shape = b.CreateNumpyVector(np.asarray(t.shape, dtype=np.int32))
            q = None
            if t.scale is not None:
                scale = b.CreateNumpyVector(t.scale.astype(np.float32))
                zp = b.CreateNumpyVector(t.zero_point.astype(np.int64))
                tflite.QuantizationParametersStart(b)
                tflite.QuantizationParametersAddScale(b, scale)
                tflite.QuantizationParametersAddZeroPoint(b, zp)
                tflite.QuantizationParametersAddQuantizedDimension(b, t.quantized_dimension)
                q = tflite.QuantizationParametersEnd(b)
            tflite.TensorStart(b)
            tflite.TensorAddShape(b, shape)
            tflite.TensorAddType(b, TYPES[t.type])
            tflite.TensorAddBuffer(b, t.buffer)
            tflite.TensorAddName(b, name)
            if q is not None:
                tflite.TensorAddQuantization(b, q)
            tensor_offsets.append(tflite.TensorEnd(b))
        op_offsets = []
        for op in self.ops:
            opts = op.options(b) if op.options is not None else None
            ins = b.CreateNumpyVector(np.asarray(op.inputs, dtype=np.int32))
            outs = b.CreateNumpyVector(np.asarray(op.outputs, dtype=np.int32))
            tflite.OperatorStart(b)
            tflite.OperatorAddOpcodeIndex(b, op.opcode)
            tflite.OperatorAddInputs(b, ins)
            tflite.OperatorAddOutputs(b, outs)
            if opts is not None:
                tflite.OperatorAddBuiltinOptionsType(b, op.options_type)
                tflite.OperatorAddBuiltinOptions(b, opts)
            op_offsets.append(tflite.OperatorEnd(b))
        code_offsets = []
        for code, version in self.opcodes:
            tflite.OperatorCodeStart(b)
            tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
            tflite.OperatorCodeAddBuiltinCode(b, code)
            tflite.OperatorCodeAddVersion(b, version)
            code_offsets.append(tflite.OperatorCodeEnd(b))

        tensors_vec = _offsets(b, tflite.SubGraphStartTensorsVector, tensor_offsets)
        ops_vec = _offsets(b, tflite.SubGraphStartOperatorsVector, op_offsets)
        in_vec = b.CreateNumpyVector(np.asarray(inputs, dtype=np.int32))
        out_vec = b.CreateNumpyVector(np.asarray(outputs, dtype=np.int32))
        sg_name = b.CreateString("main")
        tflite.SubGraphStart(b)
        tflite.SubGraphAddTensors(b, tensors_vec)
        tflite.SubGraphAddInputs(b, in_vec)
        tflite.SubGraphAddOutputs(b, out_vec)
        tflite.SubGraphAddOperators(b, ops_vec)
        tflite.SubGraphAddName(b, sg_name)
        subgraph = tflite.SubGraphEnd(b)

        subgraphs_vec = _offsets(b, tflite.ModelStartSubgraphsVector, [subgraph])
        codes_vec = _offsets(b, tflite.ModelStartOperatorCodesVector, code_offsets)
        buffers_vec = _offsets(b, tflite.ModelStartBuffersVector, buffer_offsets)
        desc = b.CreateString("mcunet test model")
        tflite.ModelStart(b)
        tflite.ModelAddVersion(b, 3)
        tflite.ModelAddOperatorCodes(b, codes_vec)
        tflite.ModelAddSubgraphs(b, subgraphs_vec)
        tflite.ModelAddDescription(b, desc)
        tflite.ModelAddBuffers(b, buffers_vec)
        model = tflite.ModelEnd(b)
        b.Finish(model, file_identifier=b"TFL3")
        return bytes(b.Output())


def _aligned_bytes(b: flatbuffers.Builder, data: bytes) -> int:
    """A [ubyte] vector whose payload is 16-byte aligned (TFLite likes aligned buffers)."""
    b.StartVector(1, len(data), 16)
    b.head = b.head - len(data)
    b.Bytes[b.head:b.head + len(data)] = data
    return b.EndVector()


def _offsets(b: flatbuffers.Builder, start_fn, offsets: list[int]) -> int:
    start_fn(b, len(offsets))
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


# -- builtin options ---------------------------------------------------------------------------

def conv2d_options(padding="SAME", stride=(1, 1), dilation=(1, 1), act="NONE") -> tuple[int, OptionsFn]:
    def fn(b):
        tflite.Conv2DOptionsStart(b)
        tflite.Conv2DOptionsAddPadding(b, PADDING[padding])
        tflite.Conv2DOptionsAddStrideH(b, stride[0])
        tflite.Conv2DOptionsAddStrideW(b, stride[1])
        tflite.Conv2DOptionsAddDilationHFactor(b, dilation[0])
        tflite.Conv2DOptionsAddDilationWFactor(b, dilation[1])
        tflite.Conv2DOptionsAddFusedActivationFunction(b, ACT[act])
        return tflite.Conv2DOptionsEnd(b)

    return tflite.BuiltinOptions.Conv2DOptions, fn


def depthwise_options(padding="SAME", stride=(1, 1), dilation=(1, 1), multiplier=1, act="NONE"):
    def fn(b):
        tflite.DepthwiseConv2DOptionsStart(b)
        tflite.DepthwiseConv2DOptionsAddPadding(b, PADDING[padding])
        tflite.DepthwiseConv2DOptionsAddStrideH(b, stride[0])
        tflite.DepthwiseConv2DOptionsAddStrideW(b, stride[1])
        tflite.DepthwiseConv2DOptionsAddDilationHFactor(b, dilation[0])
        tflite.DepthwiseConv2DOptionsAddDilationWFactor(b, dilation[1])
        tflite.DepthwiseConv2DOptionsAddDepthMultiplier(b, multiplier)
        tflite.DepthwiseConv2DOptionsAddFusedActivationFunction(b, ACT[act])
        return tflite.DepthwiseConv2DOptionsEnd(b)

    return tflite.BuiltinOptions.DepthwiseConv2DOptions, fn


def fc_options(act="NONE", keep_num_dims=False):
    def fn(b):
        tflite.FullyConnectedOptionsStart(b)
        tflite.FullyConnectedOptionsAddFusedActivationFunction(b, ACT[act])
        tflite.FullyConnectedOptionsAddKeepNumDims(b, keep_num_dims)
        return tflite.FullyConnectedOptionsEnd(b)

    return tflite.BuiltinOptions.FullyConnectedOptions, fn


def pool_options(padding="SAME", stride=(1, 1), filter=(2, 2), act="NONE"):
    def fn(b):
        tflite.Pool2DOptionsStart(b)
        tflite.Pool2DOptionsAddPadding(b, PADDING[padding])
        tflite.Pool2DOptionsAddStrideH(b, stride[0])
        tflite.Pool2DOptionsAddStrideW(b, stride[1])
        tflite.Pool2DOptionsAddFilterHeight(b, filter[0])
        tflite.Pool2DOptionsAddFilterWidth(b, filter[1])
        tflite.Pool2DOptionsAddFusedActivationFunction(b, ACT[act])
        return tflite.Pool2DOptionsEnd(b)

    return tflite.BuiltinOptions.Pool2DOptions, fn


def add_options(act="NONE"):
    def fn(b):
        tflite.AddOptionsStart(b)
        tflite.AddOptionsAddFusedActivationFunction(b, ACT[act])
        return tflite.AddOptionsEnd(b)

    return tflite.BuiltinOptions.AddOptions, fn


def mul_options(act="NONE"):
    def fn(b):
        tflite.MulOptionsStart(b)
        tflite.MulOptionsAddFusedActivationFunction(b, ACT[act])
        return tflite.MulOptionsEnd(b)

    return tflite.BuiltinOptions.MulOptions, fn


def reducer_options(keep_dims=False):
    def fn(b):
        tflite.ReducerOptionsStart(b)
        tflite.ReducerOptionsAddKeepDims(b, keep_dims)
        return tflite.ReducerOptionsEnd(b)

    return tflite.BuiltinOptions.ReducerOptions, fn


def softmax_options(beta=1.0):
    def fn(b):
        tflite.SoftmaxOptionsStart(b)
        tflite.SoftmaxOptionsAddBeta(b, beta)
        return tflite.SoftmaxOptionsEnd(b)

    return tflite.BuiltinOptions.SoftmaxOptions, fn


def concat_options(axis, act="NONE"):
    def fn(b):
        tflite.ConcatenationOptionsStart(b)
        tflite.ConcatenationOptionsAddAxis(b, axis)
        tflite.ConcatenationOptionsAddFusedActivationFunction(b, ACT[act])
        return tflite.ConcatenationOptionsEnd(b)

    return tflite.BuiltinOptions.ConcatenationOptions, fn


def resize_nearest_options(align_corners=False, half_pixel_centers=False):
    def fn(b):
        tflite.ResizeNearestNeighborOptionsStart(b)
        tflite.ResizeNearestNeighborOptionsAddAlignCorners(b, align_corners)
        tflite.ResizeNearestNeighborOptionsAddHalfPixelCenters(b, half_pixel_centers)
        return tflite.ResizeNearestNeighborOptionsEnd(b)

    return tflite.BuiltinOptions.ResizeNearestNeighborOptions, fn


def reshape_options(new_shape):
    def fn(b):
        vec = b.CreateNumpyVector(np.asarray(new_shape, dtype=np.int32))
        tflite.ReshapeOptionsStart(b)
        tflite.ReshapeOptionsAddNewShape(b, vec)
        return tflite.ReshapeOptionsEnd(b)

    return tflite.BuiltinOptions.ReshapeOptions, fn


def empty_options(name: str):
    """Options tables without fields (PadOptions, TransposeOptions, ...)."""
    start = getattr(tflite, f"{name}Start")
    end = getattr(tflite, f"{name}End")

    def fn(b):
        start(b)
        return end(b)

    return getattr(tflite.BuiltinOptions, name), fn
