"""Training for TinyNAS on CPU or a GPU: data, the one-shot supernet, training, int8 quantization and
export to the IR through ``arch_to_graph`` (so the deployed graph is the one the NAS measured).

    data.make_dataset(task, split, resolution=None, augment=None) -> Dataset of (CHW float, label)
    build_net(arch, seed) -> ArchNet | DsCnnNet     the float network of an architecture (IR layer names)
    Supernet(space); .set_active(arch); .extract(arch) -> ArchNet
    Compute.resolve(device="auto", amp=False)        where training runs (cpu | cuda, mixed precision)
    train_supernet(supernet, data, TrainSettings, checkpoint=..., progress=..., compute=...) -> history
    train_net(net, data, TrainSettings, checkpoint=..., progress=..., compute=..., objective=...) -> history
    Classification: the loss and per-epoch figures train_net uses unless given another objective
    evaluate(model, data) -> top-1;  predict(model, data) -> (predicted, labels)
    SubnetEvaluator(supernet, calib, val).evaluate(arch) -> top-1 (the evolution's fitness)
    quantize_net(net, calibration_data, QuantSpec, qat_data=None) -> int8 Graph
    int8_accuracy(graph, data) -> top-1 of the int8 graph;  int8_predict(graph, data) -> (predicted, labels)
"""

from .compute import Compute
from .export import TorchWeights, export_graph, int8_accuracy, int8_outputs, int8_predict, quantize_net
from .net import ArchNet, DsCnnNet, IrNet, build_net
from .supernet import Supernet
from .train import (CLASSIFICATION, Classification, SubnetEvaluator, TrainSettings, evaluate, predict, recalibrate_bn, standard_error, train_net,
                    train_supernet)

__all__ = ["CLASSIFICATION", "Classification", "ArchNet", "Compute", "DsCnnNet", "IrNet", "Supernet", "SubnetEvaluator", "TorchWeights", "TrainSettings", "build_net",
           "evaluate", "export_graph", "standard_error",
           "int8_accuracy", "int8_outputs", "int8_predict", "predict", "quantize_net", "recalibrate_bn",
           "train_net", "train_supernet"]
