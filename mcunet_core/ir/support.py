"""The op/shape support table, generated from the code.

Rows come from the TFLite importer's converter registry (what it accepts and the
constraints it enforces) joined with the reference interpreter's kernel
registry, so the README table cannot drift from what the code does:

    python -m mcunet_core.ir.support > table.md
"""

from __future__ import annotations

from .ops import OP_CLASSES

__all__ = ["support_rows", "support_table"]


def support_rows() -> list[dict]:
    from ..importers.tflite import CONVERTERS
    from .reference import KERNELS

    rows = []
    for tflite_op in sorted(CONVERTERS):
        entry = CONVERTERS[tflite_op]
        kernels = []
        for ir_name in entry.ir_ops:
            cls = OP_CLASSES[ir_name]
            fn = KERNELS.get(cls)
            kernels.append(f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}" if fn else "-")
        rows.append(
            {
                "tflite": tflite_op,
                "ir": ", ".join(f"{OP_CLASSES[n].__name__}" for n in entry.ir_ops),
                "reference": ", ".join(kernels),
                "constraints": "; ".join(entry.constraints),
            }
        )
    return rows


def support_table() -> str:
    """Markdown table: TFLite op | IR op | reference kernel | supported shapes and parameters."""
    lines = [
        "| TFLite op | IR op | reference kernel | supported shapes and parameters |",
        "|---|---|---|---|",
    ]
    for r in support_rows():
        constraints = r["constraints"].replace("|", "\\|")
        lines.append(f"| `{r['tflite']}` | `{r['ir']}` | `{r['reference']}` | {constraints} |")
    lines.append("")
    lines.append(
        "All activations are int8 (float32 only at QUANTIZE/DEQUANTIZE edges), NHWC. Any other op, "
        "custom op, dynamic or zero-sized shape, or unlisted type fails import with `UnsupportedError` "
        "naming the op, its index and its input/output shapes."
    )
    return "\n".join(lines)


BEGIN, END = "<!-- support-table:begin -->", "<!-- support-table:end -->"


def with_table(readme: str) -> str:
    """``readme`` with the text between the support-table markers replaced by the table."""
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{support_table()}\n{END}{tail}"


if __name__ == "__main__":  # pragma: no cover
    import sys

    if sys.argv[1:2] == ["--readme"]:  # rewrite the table in README.md in place
        from pathlib import Path

        from ..atomic import atomic_write_text

        path = Path(sys.argv[2] if len(sys.argv) > 2 else "README.md")
        atomic_write_text(path, with_table(path.read_text(encoding="utf-8")))
    else:
        print(support_table())
