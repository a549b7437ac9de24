"""synthetic-person-det: the embedded default data of the person detection task, generated,
never downloaded.

The scenes are drawn with synthetic-vww's shapes, backgrounds, distractors and person
figures (``mcunet_core.train.data.synthetic_vww``), on a frame of any aspect: scene units are
the image height (y down, 0..1) and x runs 0..width / height. A scene holds 0-3 persons (20 %
none; heights 0.15-0.95 of the image, possibly cut by the border) among 1-6 distractors behind
and 0-2 small ones in front. Each sample comes from its own seeded stream (``seed``, index),
so it regenerates alone and identically everywhere.

Boxes are exact: the union of the figure's parts' exact extents (capsules, rotated ellipses,
rotated rounded boxes: the zero contour of their signed distances, the edge the renderer
paints at half coverage) within the frame, in pixels of the rendered size; a part the border
cuts is measured inside the frame on a grid of 1/1024 of the image height (``FINE``). A box
is the whole figure even where a distractor in front hides part of it.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ...train.data.synthetic_vww import (Background, Box, Capsule, Ellipse, Part, Triangle, _background, _coverage,
                                         _distractor, _person, split_indices)
from ..metrics import Truth

CHUNK = 500  # scenes per worker task
CLASSES = ["person"]
PERSONS = (0.2, 0.4, 0.25, 0.15)  # probability of 0, 1, 2, 3 persons
HEIGHTS = (0.15, 0.95)  # person height range, log-uniform, in image heights
FINE = 1024  # grid steps per image height measuring a part the border cuts


@dataclass(frozen=True)
class DetectionScene:
    aspect: float  # width / height
    background: Background
    parts: tuple[Part, ...]  # painted in order
    persons: tuple[tuple[float, float, float, float], ...]  # exact figure bounds, scene units
    figures: tuple[tuple[int, int], ...]  # each person's parts: parts[start:end]
    brightness: float
    contrast: float
    noise: float
    noise_seed: int

    def truth(self, width: int, height: int) -> Truth:
        """The persons' boxes in pixels of a ``width`` x ``height`` rendering, clipped to it."""
        boxes = np.array(self.persons, dtype=np.float64).reshape(-1, 4) * height
        boxes = np.clip(boxes, 0, [width, height, width, height])
        return Truth(boxes, np.zeros(len(boxes), np.int64))

    def render(self, width: int, height: int) -> np.ndarray:
        """uint8 (height, width, 3) RGB."""
        unit = 1.0 / height
        cy = (np.arange(height) + 0.5) * unit
        cx = (np.arange(width) + 0.5) * unit
        y, x = np.meshgrid(cy, cx, indexing="ij")
        img = self.background.render(x / self.aspect, y)
        for p in self.parts:
            for window, cov in _painted(p.shape, width, height):
                img[window] = img[window] * (1 - cov[..., None]) + np.asarray(p.colour) * cov[..., None]
        img = (img - 0.5) * self.contrast + 0.5 + self.brightness
        img = img + np.random.default_rng(self.noise_seed).normal(0, self.noise, img.shape)
        return np.clip(np.round(img * 255), 0, 255).astype(np.uint8)


def _painted(shape, width: int, height: int):
    """(pixel window, coverage) of ``shape`` on a raster of pixels 1 / height wide."""
    x0, y0, x1, y1 = shape.bounds()
    j0, i0 = max(int(x0 * height) - 1, 0), max(int(y0 * height) - 1, 0)
    j1, i1 = min(int(x1 * height) + 2, width), min(int(y1 * height) + 2, height)
    if j0 >= j1 or i0 >= i1:
        return
    y, x = np.meshgrid((np.arange(i0, i1) + 0.5) / height, (np.arange(j0, j1) + 0.5) / height, indexing="ij")
    yield (slice(i0, i1), slice(j0, j1)), _coverage(shape.distance(x, y), 1.0 / height)


def exact_bounds(shape) -> tuple[float, float, float, float]:
    """The tight bounds of a shape's inside (signed distance <= 0)."""
    if isinstance(shape, Capsule):
        return (min(shape.x0, shape.x1) - shape.r, min(shape.y0, shape.y1) - shape.r,
                max(shape.x0, shape.x1) + shape.r, max(shape.y0, shape.y1) + shape.r)
    if isinstance(shape, Triangle):
        return shape.bounds()  # its vertices
    c, s = abs(math.cos(shape.angle)), abs(math.sin(shape.angle))
    if isinstance(shape, Ellipse):
        ex, ey = math.hypot(shape.rx * c, shape.ry * s), math.hypot(shape.rx * s, shape.ry * c)
        return shape.cx - ex, shape.cy - ey, shape.cx + ex, shape.cy + ey
    if isinstance(shape, Box):
        r = min(shape.round, shape.hw, shape.hh)
        hw, hh = shape.hw - r, shape.hh - r
        ex, ey = hw * c + hh * s + r, hw * s + hh * c + r
        return shape.cx - ex, shape.cy - ey, shape.cx + ex, shape.cy + ey
    raise TypeError(f"no exact bounds for {type(shape).__name__}")


def visible_bounds(shape, aspect: float):
    """The tight bounds of the part of a shape inside the frame (0..aspect, 0..1), None when
    none of it is: exact inside, on the FINE grid where the border cuts it."""
    x0, y0, x1, y1 = exact_bounds(shape)
    if x0 >= 0 and y0 >= 0 and x1 <= aspect and y1 <= 1:
        return x0, y0, x1, y1
    cx0, cy0, cx1, cy1 = max(x0, 0.0), max(y0, 0.0), min(x1, aspect), min(y1, 1.0)
    if cx0 >= cx1 or cy0 >= cy1:
        return None
    step = 1.0 / FINE
    xs = np.arange(math.floor(cx0 * FINE), math.ceil(cx1 * FINE)) * step + step / 2
    ys = np.arange(math.floor(cy0 * FINE), math.ceil(cy1 * FINE)) * step + step / 2
    y, x = np.meshgrid(ys, xs, indexing="ij")
    inside = shape.distance(x, y) <= 0
    if not inside.any():
        return None
    rows, cols = np.flatnonzero(inside.any(1)), np.flatnonzero(inside.any(0))
    h = step / 2
    return (max(xs[cols[0]] - h, cx0), max(ys[rows[0]] - h, cy0), min(xs[cols[-1]] + h, cx1), min(ys[rows[-1]] + h, cy1))


def _shifted(part: Part, dx: float) -> Part:
    s = part.shape
    if isinstance(s, Capsule):
        shape = dataclasses.replace(s, x0=s.x0 + dx, x1=s.x1 + dx)
    elif isinstance(s, Triangle):
        shape = Triangle(tuple((x + dx, y) for x, y in s.pts))
    else:
        shape = dataclasses.replace(s, cx=s.cx + dx)
    return dataclasses.replace(part, shape=shape)


def _spread(rng, parts: list[Part], aspect: float) -> list[Part]:
    """synthetic-vww places things across a unit-wide frame: move them across this one."""
    dx = float(rng.uniform(min(0.0, aspect - 1), max(0.0, aspect - 1)))
    return [_shifted(p, dx) for p in parts]


def random_scene(rng: np.random.Generator, aspect: float) -> DetectionScene:
    parts: list[Part] = []
    for _ in range(int(rng.integers(1, 7))):
        parts += _spread(rng, _distractor(rng), aspect)
    persons, figures = [], []
    for _ in range(int(rng.choice(len(PERSONS), p=PERSONS))):
        figure = _spread(rng, _person(rng, math.exp(rng.uniform(*np.log(HEIGHTS)))), aspect)
        bounds = [b for b in (visible_bounds(p.shape, aspect) for p in figure) if b is not None]
        if bounds:
            bounds = np.array(bounds)
            box = (*bounds[:, :2].min(0), *bounds[:, 2:].max(0))
            figures.append((len(parts), len(parts) + len(figure)))
            parts += figure
            persons.append(tuple(float(v) for v in box))
    for _ in range(int(rng.integers(0, 3))):
        parts += _spread(rng, _distractor(rng, (0.03, 0.15)), aspect)
    return DetectionScene(aspect, _background(rng), tuple(parts), tuple(persons), tuple(figures), float(rng.normal(0, 0.06)),
                          float(rng.uniform(0.7, 1.2)), float(rng.uniform(0, 0.04)), int(rng.integers(2**31)))


def scene(seed: int, index: int, aspect: float) -> DetectionScene:
    """Sample ``index`` of the set seeded ``seed`` (independent of every other sample)."""
    return random_scene(np.random.default_rng([seed, index, 17]), aspect)


def _render(args) -> tuple[np.ndarray, list[Truth]]:
    seed, indices, width, height = args
    scenes = [scene(seed, i, width / height) for i in indices]
    return np.stack([s.render(width, height) for s in scenes]), [s.truth(width, height) for s in scenes]


@lru_cache(maxsize=4)
def synthetic_person_det(samples: int, seed: int, split: str, width: int, height: int) -> tuple[np.ndarray, tuple]:
    """(uint8 images (N, height, width, 3), their truths) of one split (the first 80 % of the
    ``samples`` scenes train, the rest val), read-only; rendered by one process per core in
    chunks whose order fixes the result."""
    indices = split_indices(samples, split)
    chunks = [(seed, indices[i:i + CHUNK], width, height) for i in range(0, len(indices), CHUNK)]
    if len(chunks) > 1 and (os.cpu_count() or 1) > 1:
        with ProcessPoolExecutor(min(os.cpu_count() or 1, len(chunks)), mp_context=multiprocessing.get_context("spawn")) as pool:
            parts = list(pool.map(_render, chunks))
    else:
        parts = [_render(c) for c in chunks]
    images = np.concatenate([p[0] for p in parts])
    images.flags.writeable = False
    return images, tuple(t for p in parts for t in p[1])
