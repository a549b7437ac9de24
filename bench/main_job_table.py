"""README's main-job table, from the build folders of `scons board=B task=T` (bench/main_job.py
--readme writes it between README's `main-job` markers; kept apart so a test can render it
from a tiny build)."""

from __future__ import annotations

import json
from pathlib import Path

TASK_NAMES = {"vww": "VWW", "kws": "KWS", "imagenet": "ImageNet"}


def _load(out: Path, name: str) -> dict:
    return json.loads((out / name).read_text(encoding="utf-8"))


def _input_shape(graph: dict) -> list[int]:
    """The first model input's shape (N, H, W, C) from an IR graph.json."""
    return next(t["shape"] for t in graph["tensors"] if t["name"] == graph["inputs"][0])


def wall(seconds: float) -> str:
    return f"{int(seconds // 60)} min {int(round(seconds % 60))} s"


def _versus(v: dict | None) -> str:
    if not v:
        return "-"
    se = v.get("standard_errors")
    return (f"{v['winner']:.3f} +- {v['winner_stderr']:.3f} vs {v['median']:.3f}: {v['difference']:+.3f} "
            f"+- {v['paired_stderr']:.3f} paired ({se:.1f} SE)" if se is not None else
            f"{v['winner']:.3f} vs {v['median']:.3f}: {v['difference']:+.3f} (no paired SE)")


def column(out: Path, wall_s: float) -> dict[str, str]:
    """One job's cells, row name -> text, read from its build folder."""
    stage1, search = _load(out, "nas/stage1.json"), _load(out, "nas/search.json")
    metrics, result = _load(out, "train/metrics.json"), _load(out, "result.json")
    m, sn = search["measurement"], search.get("supernet", {})
    chosen = stage1["chosen"]
    shape = json.loads((out / "ir" / "graph.json").read_text(encoding="utf-8"))
    at = "x".join(str(d) for d in _input_shape(shape)[1:])
    versus = search.get("versus_initial_median", {})
    history = [h["val_accuracy"] for h in metrics.get("history", []) if "val_accuracy" in h]
    return {
        "wall time": wall(wall_s),
        "stage 1": f"width {chosen['width']} at {at}",
        "supernet: smallest / largest subnet": (
            f"{sn.get('smallest_accuracy', float('nan')):.3f} / {sn.get('largest_accuracy', float('nan')):.3f} after "
            f"{sn.get('epochs')} epochs, on {sn.get('fitness_samples')} held-out samples "
            f"(chance {sn.get('chance', float('nan')):.3f})"),
        "evolution: winner vs initial median network, held-out fitness samples":
            f"{_versus(versus.get('fitness'))}, {search['evaluations']} networks",
        "the same two re-scored on the validation split": _versus(versus.get("val")),
        "winner": f"{m['macs'] / 1e6:.1f} M MACs, {metrics['params']:,} parameters",
        "NAS predicted: peak SRAM, flash, instructions":
            f"{m['peak_sram']:,} B, {m['flash']:,} B, {m['instructions'] / 1e6:.1f} M",
        "firmware measured": (f"{result['peak_sram_bytes']:,} B, {result['flash_bytes']:,} B, "
                              f"{result['instructions'] / 1e6:.1f} M ({result['latency_ms']:.1f} ms at "
                              f"{result['clock_hz'] / 1e6:.0f} MHz)"),
        "val accuracy per fine-tune epoch": ", ".join(f"{a:.3f}" for a in history) or "-",
        "accuracy, float / int8": (f"{metrics['float_accuracy']:.3f} / **{metrics['int8_accuracy']:.3f}** on "
                                   f"{metrics['val_samples']:,} validation samples"),
    }


def readme_table(jobs: list[tuple[str, str, float, Path]], *, commit: str, cores: int | None) -> str:
    """The Markdown block: one line saying where the figures come from, then the table, one
    column per (board, task, wall seconds, build folder)."""
    columns = [column(out, wall) for _, _, wall, out in jobs]
    heads = [f"{TASK_NAMES.get(task, task)} on {board}" for board, task, _, _ in jobs]
    lines = [f"`python bench/main_job.py --readme` at commit {commit} (fresh clone, {cores} CPU cores):", "",
             "| | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    for row in columns[0]:
        lines.append(f"| {row} | " + " | ".join(c[row] for c in columns) + " |")
    return "\n".join(lines)


def replace_block(text: str, name: str, block: str) -> str:
    """``text`` with what stands between ``<!-- name:begin -->`` and ``<!-- name:end -->`` replaced."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if begin not in text or end not in text:
        raise SystemExit(f"README.md has no {begin} ... {end} markers")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{block}\n{end}{tail}"
