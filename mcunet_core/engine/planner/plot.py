"""Per-layer memory picture of a plan: which buffer sits where while each op runs."""

from __future__ import annotations

import io
from pathlib import Path

from ...atomic import atomic_write_bytes
from .memory_plan import MemoryPlan


def plot_memory(plan: MemoryPlan, op_labels: list[str], path: str | Path, patch: dict | None = None) -> None:
    """Save a PNG: one column per op, each live buffer drawn at its arena offset; with a patch
    stage (``plan.json``'s ``patch``), each patch's ops on a shaded band and the assembled
    stage output in its own colour."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_ops = len(op_labels)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * n_ops + 2), 4.5), dpi=110)
    colors = {"tensor": "#4C72B0", "scratch": "#DD8452"}
    assembled = set()
    patches = (patch or {}).get("patches") or []
    if patches:
        colors["assembled output"] = "#55A868"
        stage_out = patch["assembled_output"]["name"]
        assembled = {b.name for b in plan.buffers if b.name == stage_out or b.name.startswith(stage_out + "@canvas")}
        top = plan.arena_bytes / 1024 * 1.04
        for p in patches:
            first, last = p["ops"]
            if p["index"] % 2 == 0:
                ax.axvspan(first - 0.5, last + 0.5, color="#EEEEEE", zorder=0)
            ax.text((first + last) / 2, top, f"p{p['index']}", ha="center", va="bottom", fontsize=6)
    for b in plan.buffers:
        start, end = max(b.first, 0), min(b.last, n_ops - 1)
        if end < start:
            continue
        ax.broken_barh(
            [(start - 0.45, end - start + 0.9)],
            (plan.display_offset(b.name) / 1024, b.size / 1024),
            facecolors=colors["assembled output" if b.name in assembled else b.kind], edgecolors="white",
            linewidth=0.5, alpha=0.85,
        )
    ax.axhline(plan.arena_bytes / 1024, color="black", linestyle="--", linewidth=1)
    ax.text(n_ops - 0.5, plan.arena_bytes / 1024, f" arena {plan.arena_bytes / 1024:.1f} KiB",
            va="bottom", ha="right", fontsize=8)
    ax.set_xticks(range(n_ops))
    ax.set_xticklabels(op_labels, rotation=90, fontsize=7)
    ax.set_ylabel("arena offset (KiB)")
    title = f"{plan.graph_name}: {plan.arena_bytes} B arena (no reuse: {plan.no_reuse_bytes} B)"
    if patches:
        s = patch["schedule"]
        title += f"; ops 0-{s['split'] - 1} per patch, {s['patches'][0]}x{s['patches'][1]} patches"
    ax.set_title(title, fontsize=9)
    ax.set_xlim(-0.6, n_ops - 0.4)
    ax.set_ylim(0, max(plan.arena_bytes, 1) / 1024 * (1.12 if patches else 1.08))
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colors.values()]
    ax.legend(handles, list(colors), fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
