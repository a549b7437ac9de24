"""Refitting ``kernel_costs.json`` (``bench/nas_latency_fit.py``): per latency family,
instructions as a non-negative combination of its work counts, minimizing the relative error
over the measured layers (small layers count as much as large ones: a search compares whole
networks of many small layers); and the flash a compiled kernel source can add."""

from __future__ import annotations

import numpy as np

from .cost_model import OpWork


def fit_nonnegative(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """argmin ||(x c - y) / y|| with c >= 0: least squares, dropping the most negative
    coefficient's feature until none is negative (features are few and mostly independent)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    a = x / y[:, None]
    active = [j for j in range(x.shape[1]) if np.any(x[:, j])]
    coef = np.zeros(x.shape[1])
    while active:
        sol, *_ = np.linalg.lstsq(a[:, active], np.ones(len(y)), rcond=None)
        if sol.min() >= 0:
            coef[active] = sol
            break
        del active[int(np.argmin(sol))]
    return coef


def fit_families(samples: list[tuple[OpWork, int]]) -> dict[str, dict]:
    """``{family: {features, coefficients, layers, max_rel_error}}`` from (work, measured) pairs."""
    by_family: dict[str, list[tuple[OpWork, int]]] = {}
    for work, measured in samples:
        by_family.setdefault(work.family, []).append((work, measured))
    table = {}
    for family in sorted(by_family):
        rows = by_family[family]
        x = np.array([w.values for w, _ in rows])
        y = np.array([m for _, m in rows], dtype=np.float64)
        coef = fit_nonnegative(x, y)
        err = np.abs(x @ coef - y) / y
        table[family] = {"features": list(rows[0][0].names), "coefficients": [float(f"{c:.6g}") for c in coef],
                         "layers": len(rows), "max_rel_error": round(float(err.max()), 4)}
    return table


def object_code_bytes(path) -> int:
    """Flash bytes an object file can add: allocated, loaded sections but the buffer-size twins."""
    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile

    with open(path, "rb") as fh:
        return sum(s["sh_size"] for s in ELFFile(fh).iter_sections()
                   if s["sh_flags"] & SH_FLAGS.SHF_ALLOC and s["sh_type"] != "SHT_NOBITS"
                   and not s.name.endswith("_get_buffer_size"))
