"""What a searched network is measured with besides its backbone, per kind of task: a
classifier ends in ``arch_to_graph``'s pooling, fully connected layer and softmax
(``constraints.Constraints``); a detector in the task's YOLO heads at the last block of each
stride, followed on the device by its decode + NMS (``DetectionConstraints``). The SRAM,
flash and instructions measured are then the deployed detector's: the heads' layers, the
post-processing's candidate buffer and record in the same arena, its tables and kernels
(``Lowered.footprint()``), its instructions in the worst case its buffers allow (every
anchor passing, the candidate buffer full, NMS's every overlap test:
``Lowered.postprocess_instructions()``) added to the network's, its inputs at the task's
aspect.

    constraints_for(task, board, limits, **options) -> Constraints | DetectionConstraints
    searched_input_shape(constraints, task, resolution) -> (H, W, C) | None (the space's square)
"""

from __future__ import annotations

from .. import engine
from ..arch import Arch, RandomWeights, WeightBits, arch_to_graph
from ..engine import latency_ms
from ..errors import UserError
from ..ir.stats import graph_stats
from .constraints import Constraints, Measurement, _key


class DetectionConstraints(Constraints):
    """``Constraints`` for a detection task's backbones: each candidate measured as the
    detector it becomes (``DetectionArch.for_task``), post-processing included."""

    def __init__(self, *args, spec, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec  # mcunet_core.detect.DetectionSpec
        self._measured: dict[Arch, Measurement | None] = {}

    @classmethod
    def for_task(cls, board, limits, spec, **options) -> "DetectionConstraints":
        base = Constraints.for_board(board, limits, **options)
        return cls(base.target, base.clock_hz, base.limits, base.firmware, base.bits, spec=spec)

    def input_shape(self, resolution: int) -> tuple[int, int, int]:
        """The detector's input at height ``resolution``: the task's aspect, to the largest stride."""
        width, height = self.spec.input_size(resolution)
        return (height, width, self.spec.channels)

    def detector(self, arch: Arch):
        from ..arch.detection import DetectionArch

        return DetectionArch.for_task(arch, self.spec)

    def graph(self, arch: Arch):
        return arch_to_graph(self.detector(arch), RandomWeights(0, self.bits))

    def postprocess(self, graph):
        from ..detect import Decoder

        return engine.YoloPostprocess.from_decoder(Decoder.from_spec(self.spec, graph.tensors[graph.inputs[0]].shape[1]),
                                                   graph)

    def macs(self, arch: Arch) -> int:
        return graph_stats(self.graph(arch)).total_macs

    def measure(self, arch: Arch) -> Measurement | None:
        key = _key(arch)
        if key not in self._measured:
            self._measured[key] = self._measure(arch)
        return self._measured[key]

    def _measure(self, arch: Arch) -> Measurement | None:
        graph = self.graph(arch)
        try:
            lowered = engine.lower(graph, self.target, postprocess=self.postprocess(graph))
            fp = lowered.footprint(self.firmware)
        except UserError:  # no placement fits the board's RAM regions
            return None
        instructions = lowered.instructions() + lowered.postprocess_instructions()  # network + decode + NMS
        schedule = lowered.decisions.schedule
        return Measurement(peak_sram=fp.peak_sram, flash=fp.flash, latency_ms=latency_ms(instructions, self.clock_hz),
                           instructions=instructions, macs=graph_stats(graph).total_macs, arena=fp.arena,
                           constants=fp.constants, patch=(schedule.split, *schedule.grid) if schedule else None)

    def _bounds(self, arch: Arch) -> tuple[int, int]:
        return engine.lower_bounds(self.graph(arch), self.target.input_placement)

    def to_json(self) -> dict:
        post = self.spec.postprocess
        return {**super().to_json(),
                "heads": {"kind": "yolo", "strides": list(self.spec.strides), "classes": self.spec.classes,
                          "measured_with": "the heads and the decode + NMS after the network (its buffers in the "
                                           "arena, its tables and kernels in flash, its instructions in the worst "
                                           "case its buffers allow added to the network's)",
                          "score_threshold": post["score_threshold"], "max_detections": post["max_detections"]}}


def constraints_for(task, board, limits, **options) -> Constraints:
    """The search's constraints for ``task``: a detection task's measure its detectors."""
    if task is not None and "detection" in task.raw:
        from ..detect import DetectionSpec

        return DetectionConstraints.for_task(board, limits, DetectionSpec.from_task(task), **options)
    return Constraints.for_board(board, limits, **options)


def searched_input_shape(constraints, task, resolution: int):
    """The input of the networks searched under ``constraints`` at ``resolution``; None: the
    space's square image (``SearchSpace.from_specs``)."""
    return constraints.input_shape(resolution) if isinstance(constraints, DetectionConstraints) else None
