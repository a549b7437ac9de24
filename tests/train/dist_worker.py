"""Run by tests/train/test_distributed.py, alone or under torchrun: train a tiny supernet and a
tiny network on a global batch and save rank 0's weights and every rank's count of the samples
it drew and loaded to argv[1]."""

import dataclasses
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from conftest import embedded_task, tiny_space  # noqa: E402
from mcunet_core.train.data import make_dataset  # noqa: E402
from mcunet_core.train.distributed import Ranks  # noqa: E402
from mcunet_core.train.net import ArchNet  # noqa: E402
from mcunet_core.train.supernet import Supernet  # noqa: E402
from mcunet_core.train.train import SubnetEvaluator, TrainSettings, train_net, train_supernet  # noqa: E402

ranks = Ranks.from_environment("cpu")
torch.set_num_threads(1)
task = embedded_task("vww", 96)
data = make_dataset(task, "train", resolution=32)  # augmented: flips and colour jitter
counts = {"draw": 0, "load": 0}  # samples this rank drew the augmentation of, and loaded (augmented)


def counted(name):
    method = getattr(data, name)

    def call(*args):
        counts[name] += 1
        return method(*args)
    return call


data.draw, data.load = counted("draw"), counted("load")
val = make_dataset(task, "val", resolution=32)
supernet = Supernet(tiny_space("vww"), seed=0)
history = train_supernet(supernet, data, TrainSettings(epochs=1, batch_size=16, sandwich=3, lr=0.005), progress=False,
                         ranks=ranks)
net = ArchNet(dataclasses.replace(tiny_space("vww").smallest(), dropout=0.3), seed=3)  # masks of the global batch
net_history = train_net(net, data, TrainSettings(epochs=1, batch_size=16, lr=0.005), progress=False,
                        ranks=ranks)
trained = ranks.gather(list(range(ranks.world)), lambda rank: dict(counts))  # each rank's own counts
evaluator = SubnetEvaluator(supernet, data, val, bn_batches=2, ranks=ranks)
archs = [tiny_space("vww").sample(__import__("numpy").random.default_rng(i)) for i in range(5)]
evaluator.prefetch(archs)
if ranks.main:
    torch.save({"supernet": supernet.state_dict(), "net": net.state_dict(), "history": history,
                "net_history": net_history, "counts": trained, "fitness": [evaluator(a) for a in archs]}, sys.argv[1])
