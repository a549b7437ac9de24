"""What the pipeline does differently per kind of task, one class each: the network an
architecture spec makes for it, its data, its loss and per-epoch figures (``train_net``'s
objective), how its float and int8 networks are scored, the search's supernet, held-out
split and fitness (the candidates' measurement: ``nas.heads``), and on the device what runs after
the network (a detector's decode + NMS), the input the default run feeds and the check of
the run's result against the host. Everything else (the recipe, the quant spec's
calibration and QAT, the export through ``arch_to_graph``, the engine) is shared.

    training_kind(task) -> Classification | Detection      (task_kind(None): a model without a task)
"""

from __future__ import annotations

from ..errors import UserError


class Classification:
    """Image and MFCC classification: logits, top-1 accuracy."""

    #: what the report stage writes besides report.md: ``device_check``'s document
    checked_files: tuple[str, ...] = ()

    def __init__(self, task):
        self.task = task

    def arch(self, architecture: dict, resolution: int, name: str):
        from ..arch import arch_from_spec

        h, w, c = self.task.input_shape
        shape = (resolution, resolution, c) if self.task.input_kind == "image" else (h, w, c)
        return arch_from_spec(architecture, shape, self.task.classes, name)

    def resolution(self, arch) -> int | None:
        return arch.input_shape[0] if self.task.input_kind == "image" else None

    def dataset(self, task, split: str, resolution: int | None, augment: bool | None = None):
        from ..train.data import make_dataset

        return make_dataset(task, split, resolution=resolution, augment=augment)

    def build_net(self, arch, seed: int):
        from ..train import build_net

        return build_net(arch, seed=seed)

    def objective(self, resolution: int | None):
        """``train_net``'s loss and per-epoch figures."""
        from ..train import CLASSIFICATION

        return CLASSIFICATION

    def float_metrics(self, net, val_data) -> dict:
        from ..train import evaluate

        return {"float_accuracy": evaluate(net, val_data)}

    def int8_metrics(self, graph, val_data) -> dict:
        from ..train import int8_accuracy

        return {"int8_accuracy": int8_accuracy(graph, val_data)}

    def sizes(self, arch, graph) -> dict:
        return {"macs": arch.macs(), "params": arch.params()}

    def fields(self) -> dict:
        """What metrics.json says the figures are (nothing more for accuracy)."""
        return {}

    @staticmethod
    def describe(metrics: dict) -> str:
        return f"float accuracy {metrics['float_accuracy']:.3f}, int8 {metrics['int8_accuracy']:.3f}"

    # -- the search ---------------------------------------------------------------------------
    #: what search.json says the fitness is, and the key of the supernet's extreme subnets' figures
    fitness_name = "supernet-accuracy"
    fitness_key = "accuracy"

    def holdout(self, data, fraction: float, seed: int) -> tuple:
        """(kept, held out) indices of ``data``, class-stratified, and the subset class that keeps
        what the training loop reads."""
        from ..train.data import LabelledSubset, holdout_indices

        kept, held = holdout_indices(data.labels, fraction, seed)
        return kept, held, LabelledSubset

    def supernet(self, space, seed: int):
        from ..train import Supernet

        return Supernet(space, seed=seed)

    def fitness(self, supernet, calibration, fitness_data, *, bn_batches: int, seed: int, ranks):
        from ..train import SubnetEvaluator

        return SubnetEvaluator(supernet, calibration, fitness_data, bn_batches=bn_batches, seed=seed, ranks=ranks)

    def chance(self) -> dict:
        return {"chance": 1.0 / self.task.classes}

    # -- on the device ---------------------------------------------------------------------
    def postprocess(self, graph):
        """What the firmware runs after the network (``engine.generate(postprocess=)``): nothing."""
        return None

    def sample_inputs(self, graph) -> list | None:
        """The default run's inputs; None: the engine stage's seeded random ones."""
        return None

    def device_check(self, graph, inputs, outputs) -> dict | None:
        """The run's outputs against the host's (beyond the network's own, bit-exact anyway)."""
        return None


class Detection(Classification):
    """YOLO detection (a task with ``detection:``): the mbv2 backbone with the task's heads,
    the YOLO loss, and the task's metric (``metric:``, with mAP@0.5 beside it) of the
    detections decoded in integers, as the firmware decodes them; the int8 figure is the
    reference interpreter's heads through that decode."""

    checked_files = ("detections.json",)

    def __init__(self, task):
        from ..detect import DetectionSpec

        super().__init__(task)
        self.spec = DetectionSpec.from_task(task)

    def arch(self, architecture: dict, resolution: int, name: str):
        from ..arch import arch_from_spec
        from ..arch.detection import DetectionArch

        width, height = self.spec.input_size(resolution)
        backbone = arch_from_spec(architecture, (height, width, self.spec.channels), self.spec.classes, name)
        return DetectionArch.for_task(backbone, self.spec)

    def resolution(self, arch) -> int:
        return arch.input_shape[0]

    def dataset(self, task, split: str, resolution: int | None, augment: bool | None = None):
        from ..detect.data import make_detection_dataset

        return make_detection_dataset(task, split, height=resolution, augment=augment)

    def build_net(self, arch, seed: int):
        from ..detect.net import DetectionNet

        return DetectionNet(arch, seed=seed)

    def decoder(self, height: int):
        from ..detect import Decoder

        return Decoder.from_spec(self.spec, height)

    def objective(self, resolution: int | None):
        from ..detect.train import Detection as Objective

        return Objective(self.spec, resolution)

    def float_metrics(self, net, val_data) -> dict:
        from ..detect.train import detect

        return self._scored("float", detect(net.cpu(), val_data, self.decoder(val_data.geometry.height)), val_data)

    def int8_metrics(self, graph, val_data) -> dict:
        from ..detect.train import int8_detections

        return self._scored("int8", int8_detections(graph, val_data, self.decoder(val_data.geometry.height)),
                            val_data)

    def _scored(self, what: str, detections, val_data) -> dict:
        from ..detect.train import score, truths

        result = score(detections, truths(val_data), self.spec)
        return {f"{what}_map50": result.map50, f"{what}_map": result.map,
                f"{what}_boxes": int(sum(len(d) for d in detections))}

    def sizes(self, arch, graph) -> dict:
        from ..ir.stats import graph_stats

        stats = graph_stats(graph)
        return {"macs": stats.total_macs, "params": stats.total_params}

    def fields(self) -> dict:
        """What metrics.json says the figures are."""
        post = self.spec.postprocess
        return {"metric": self.spec.metric["name"],
                "scored_at": {"score_threshold": post["score_threshold"], "iou_threshold": post["iou_threshold"],
                              "max_detections": post["max_detections"]}}

    # -- the search ---------------------------------------------------------------------------
    fitness_name = "supernet-map50 (mAP@0.5)"
    fitness_key = "map50"

    def holdout(self, data, fraction: float, seed: int) -> tuple:
        """(kept, held out) indices of ``data``, a seeded random part held out (detection sets
        have no image labels), and the subset class."""
        import numpy as np

        from ..detect.data import DetectionSubset
        from ..train.data import holdout_indices

        kept, held = holdout_indices(np.zeros(len(data), np.int64), fraction, seed)
        return kept, held, DetectionSubset

    def supernet(self, space, seed: int):
        from ..detect.supernet import DetectionSupernet

        return DetectionSupernet(space, self.spec, seed=seed)

    def fitness(self, supernet, calibration, fitness_data, *, bn_batches: int, seed: int, ranks):
        from ..detect.supernet import DetectionFitness

        return DetectionFitness(supernet, calibration, fitness_data, bn_batches=bn_batches, seed=seed, ranks=ranks)

    def chance(self) -> dict:
        return {}

    # -- on the device ---------------------------------------------------------------------
    def postprocess(self, graph):
        """The integer decode + NMS in generated C, the twin of the host's ``Decoder``."""
        from .. import engine

        return engine.YoloPostprocess.from_decoder(self.decoder(graph.tensors[graph.inputs[0]].shape[1]), graph)

    def sample_inputs(self, graph) -> list:
        """The first validation image, quantized as the int8 graph's input: the run returns boxes
        of a scene with people, which ``device_check`` compares with the host's."""
        from ..train.export import quantize_input

        data = self.dataset(self.task, "val", graph.tensors[graph.inputs[0]].shape[1], augment=False)
        return [quantize_input(graph, data[0][0][None])]

    def device_check(self, graph, inputs, outputs) -> dict:
        """The firmware's boxes (its detection record, the last output) against the host's:
        the reference interpreter's heads on the same input through ``Decoder``; its network
        outputs against the interpreter's too."""
        import numpy as np

        from .. import engine
        from ..ir.reference import run

        ref = run(graph, list(inputs))
        heads = [ref[o] for o in graph.outputs]
        quants = [(graph.tensors[o].quant.single_scale, graph.tensors[o].quant.single_zero_point)
                  for o in graph.outputs]
        host = self.decoder(graph.tensors[graph.inputs[0]].shape[1]).from_graph(heads, quants)
        device = engine.YoloPostprocess.boxes(outputs[-1])
        return {"boxes": device.tolist(), "host_boxes": host.tolist(),
                "boxes_equal": bool(device.shape == host.shape and np.array_equal(device, host)),
                "heads_equal": bool(all(np.array_equal(np.asarray(o).reshape(h.shape), h)
                                        for o, h in zip(outputs[:-1], heads))),
                "units": "class, score (Q15), x0, y0, x1, y1 (1/16 pixel)"}

    @staticmethod
    def describe(metrics: dict) -> str:
        return (f"{metrics['metric']} float {metrics['float_map']:.3f} (mAP@0.5 {metrics['float_map50']:.3f}), "
                f"int8 {metrics['int8_map']:.3f} (mAP@0.5 {metrics['int8_map50']:.3f})")


def training_kind(task) -> Classification:
    """The pipeline's class for ``task``: a detection task declares ``detection:``."""
    if task is None:
        raise UserError("no task to train for")
    return task_kind(task)


def task_kind(task) -> Classification:
    """``training_kind``, and for a model without a task (an imported .tflite) the plain one."""
    return Detection(task) if task is not None and "detection" in task.raw else Classification(task)
