"""Pretraining: a task spec's ``pretrain: {task, epochs}`` makes every network of the task that
trains from scratch learn another task's training split first (for example 2,413 real VWW
images after the generated VWW scenes, which the project makes itself). The supernet and
a model spec's network pretrain; a searched network fine-tunes from its supernet's weights,
which already did. One recipe for every network: the task's training settings with the
pretraining's epochs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import UserError
from ..spec import load_task


@dataclass(frozen=True)
class Pretraining:
    task: object  # the spec.Task whose training split comes first
    epochs: int

    @classmethod
    def of(cls, task) -> "Pretraining | None":
        """The pretraining ``task`` declares (None without one), checked against it."""
        raw = task.raw.get("pretrain")
        if not raw:
            return None
        other = load_task(raw["task"])
        ours = (task.classes, task.input_kind, task.input_shape[-1])
        theirs = (other.classes, other.input_kind, other.input_shape[-1])
        if theirs != ours:
            raise UserError(f"task {task.name} ({task.source_file}): pretrain.task {other.name} has {other.classes} "
                            f"classes of {other.input_kind} input with {other.input_shape[-1]} channels; "
                            f"{task.name} has {task.classes} of {task.input_kind} with {task.input_shape[-1]}")
        return cls(other, int(raw["epochs"]))

    def identity(self) -> str:
        """What the pretraining is, as a build dependency (its data and epochs)."""
        return f"pretrain {self.task.name} ({self.task.dataset.identity()}) epochs={self.epochs}"

    def data(self, resolution: int | None):
        from ..train.data import make_dataset  # torch: only where a stage trains, not in the SCons rules

        return make_dataset(self.task, "train", resolution=resolution)

    def settings(self, settings):
        """The task's training settings with the pretraining's epochs."""
        return dataclasses.replace(settings, epochs=self.epochs)

    def to_json(self, samples: int) -> dict:
        return {"task": self.task.name, "epochs": self.epochs, "samples": samples}
