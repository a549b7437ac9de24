"""synthetic-vww: the embedded default data set of the VWW task, generated, never downloaded.

Each sample is a scene drawn from its own seeded random stream (``seed``, sample index), so
any sample can be regenerated alone and the set is identical on every machine. A scene is
described in resolution-free units (the image is the unit square, y down) and rendered at
any resolution with anti-aliased signed-distance shapes:

- a background: two-colour value noise, stripes, or a sky/ground horizon;
- 1-6 distractors behind the figures and 0-2 in front: ellipses, rounded boxes, triangles,
  poles, trees (trunk + crown), lamp posts and four-legged animals, some in skin tones so
  colour alone never decides;
- for about half the scenes a person: head (with hair), neck, torso (shirt), arms with
  elbows and hands, legs with knees (trousers) and shoes, at a random position, height,
  lean and pose, in random clothing and skin colours, possibly cut by the image border;
  about a quarter of the other scenes hold a person too small to count (VWW's hard negatives);
- global brightness/contrast changes and pixel noise.

The label follows the Visual Wake Words rule: "person" when the persons' figures cover more
than 0.5 % of the image. Coverage is measured at a fixed 128 x 128 raster, so a sample's
label does not depend on the resolution it is rendered at.
"""

from __future__ import annotations

import colorsys
import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

CHUNK = 1000  # scenes per worker task
PERSON_AREA = 0.005  # VWW: a person box covering more than 0.5 % of the image
LABEL_RESOLUTION = 128
SKIN = np.array([[0.96, 0.80, 0.69], [0.90, 0.72, 0.56], [0.78, 0.57, 0.42],
                 [0.63, 0.44, 0.30], [0.45, 0.30, 0.20], [0.31, 0.20, 0.13]])
HAIR = np.array([[0.08, 0.06, 0.05], [0.30, 0.20, 0.10], [0.55, 0.40, 0.20],
                 [0.85, 0.75, 0.50], [0.60, 0.60, 0.60], [0.50, 0.15, 0.05]])


# -- shapes: signed distances in scene units (negative inside) -------------------------------

@dataclass(frozen=True)
class Ellipse:
    cx: float
    cy: float
    rx: float
    ry: float
    angle: float = 0.0

    def distance(self, x, y):
        u, v = _rotate(x - self.cx, y - self.cy, -self.angle)
        return (np.sqrt((u / self.rx) ** 2 + (v / self.ry) ** 2) - 1.0) * min(self.rx, self.ry)

    def bounds(self):
        r = max(self.rx, self.ry)
        return self.cx - r, self.cy - r, self.cx + r, self.cy + r


@dataclass(frozen=True)
class Box:
    cx: float
    cy: float
    hw: float
    hh: float
    angle: float = 0.0
    round: float = 0.0  # corner radius

    def distance(self, x, y):
        u, v = _rotate(x - self.cx, y - self.cy, -self.angle)
        r = min(self.round, self.hw, self.hh)
        qx, qy = np.abs(u) - (self.hw - r), np.abs(v) - (self.hh - r)
        outside = np.sqrt(np.maximum(qx, 0) ** 2 + np.maximum(qy, 0) ** 2)
        return outside + np.minimum(np.maximum(qx, qy), 0) - r

    def bounds(self):
        r = math.hypot(self.hw, self.hh)
        return self.cx - r, self.cy - r, self.cx + r, self.cy + r


@dataclass(frozen=True)
class Capsule:
    """A segment with round ends: limbs, poles, trunks."""

    x0: float
    y0: float
    x1: float
    y1: float
    r: float

    def distance(self, x, y):
        dx, dy = self.x1 - self.x0, self.y1 - self.y0
        t = np.clip(((x - self.x0) * dx + (y - self.y0) * dy) / max(dx * dx + dy * dy, 1e-12), 0, 1)
        return np.hypot(x - self.x0 - t * dx, y - self.y0 - t * dy) - self.r

    def bounds(self):
        return (min(self.x0, self.x1) - self.r, min(self.y0, self.y1) - self.r,
                max(self.x0, self.x1) + self.r, max(self.y0, self.y1) + self.r)


@dataclass(frozen=True)
class Triangle:
    pts: tuple[tuple[float, float], ...]

    def distance(self, x, y):
        (ax, ay), (bx, by), (cx, cy) = self.pts
        sign = 1.0 if (bx - ax) * (cy - ay) - (by - ay) * (cx - ax) > 0 else -1.0
        d = None
        for (px, py), (qx, qy) in (((ax, ay), (bx, by)), ((bx, by), (cx, cy)), ((cx, cy), (ax, ay))):
            ex, ey = qx - px, qy - py
            n = math.hypot(ex, ey) or 1e-12
            e = -sign * ((x - px) * ey - (y - py) * ex) / n  # outward edge distance
            d = e if d is None else np.maximum(d, e)
        return d

    def bounds(self):
        xs, ys = zip(*self.pts)
        return min(xs), min(ys), max(xs), max(ys)


def _rotate(u, v, a):
    c, s = math.cos(a), math.sin(a)
    return c * u - s * v, s * u + c * v


@dataclass(frozen=True)
class Part:
    shape: object
    colour: tuple[float, float, float]
    person: bool = False


@dataclass(frozen=True)
class Background:
    kind: str  # "noise" | "stripes" | "horizon"
    colours: tuple
    grid: np.ndarray  # value-noise lattice
    freq: float
    angle: float
    horizon: float

    def render(self, x, y) -> np.ndarray:
        a, b, c = (np.asarray(col) for col in self.colours)
        t = _value_noise(self.grid, x, y)
        if self.kind == "stripes":
            u = x * math.cos(self.angle) + y * math.sin(self.angle)
            t = 0.5 + 0.35 * np.sin(2 * math.pi * self.freq * u) + 0.3 * (t - 0.5)
        t = np.clip(t, 0, 1)[..., None]
        img = a * (1 - t) + b * t
        if self.kind == "horizon":
            sky = a + (c - a) * np.clip(y / max(self.horizon, 1e-3), 0, 1)[..., None] * 0.5
            img = np.where((y < self.horizon)[..., None], sky, img)
        return img


def _value_noise(grid: np.ndarray, x, y) -> np.ndarray:
    k = grid.shape[0] - 1
    gx, gy = np.clip(x, 0, 1) * k, np.clip(y, 0, 1) * k
    x0, y0 = np.minimum(gx.astype(int), k - 1), np.minimum(gy.astype(int), k - 1)
    fx, fy = gx - x0, gy - y0
    fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)  # smoothstep: no visible lattice
    top = grid[y0, x0] * (1 - fx) + grid[y0, x0 + 1] * fx
    bottom = grid[y0 + 1, x0] * (1 - fx) + grid[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


@dataclass(frozen=True)
class Scene:
    background: Background
    parts: tuple[Part, ...]  # painted in order
    brightness: float
    contrast: float
    noise: float
    noise_seed: int

    def person_area(self) -> float:
        """Fraction of the image the persons' figures cover (measured at LABEL_RESOLUTION)."""
        cover = np.zeros((LABEL_RESOLUTION, LABEL_RESOLUTION))
        for p in self.parts:
            if p.person:
                for window, cov in _painted(p.shape, LABEL_RESOLUTION):
                    cover[window] = np.maximum(cover[window], cov)
        return float((cover >= 0.5).mean())

    @property
    def label(self) -> int:
        return int(self.person_area() > PERSON_AREA)

    def render(self, size: int) -> np.ndarray:
        """uint8 (size, size, 3) RGB."""
        x, y, _ = _grid(size)
        img = self.background.render(x, y)
        for p in self.parts:
            for window, cov in _painted(p.shape, size):
                img[window] = img[window] * (1 - cov[..., None]) + np.asarray(p.colour) * cov[..., None]
        img = (img - 0.5) * self.contrast + 0.5 + self.brightness
        img = img + np.random.default_rng(self.noise_seed).normal(0, self.noise, img.shape)
        return np.clip(np.round(img * 255), 0, 255).astype(np.uint8)


def _grid(size: int):
    c = (np.arange(size) + 0.5) / size
    y, x = np.meshgrid(c, c, indexing="ij")
    return x, y, 1.0 / size


def _painted(shape, size: int):
    """(pixel window, coverage there) of ``shape`` on a size x size raster; nothing when the
    shape lies outside (only pixels within a pixel of its bounding box can be touched)."""
    x0, y0, x1, y1 = shape.bounds()
    j0, i0 = max(int(x0 * size) - 1, 0), max(int(y0 * size) - 1, 0)
    j1, i1 = min(int(x1 * size) + 2, size), min(int(y1 * size) + 2, size)
    if j0 >= j1 or i0 >= i1:
        return
    y, x = np.meshgrid((np.arange(i0, i1) + 0.5) / size, (np.arange(j0, j1) + 0.5) / size, indexing="ij")
    yield (slice(i0, i1), slice(j0, j1)), _coverage(shape.distance(x, y), 1.0 / size)


def _coverage(distance, px: float):
    """Anti-aliasing: the fraction of a pixel inside the shape, from the signed distance."""
    return np.clip(0.5 - distance / px, 0.0, 1.0)


# -- random scenes ---------------------------------------------------------------------------

def _colour(rng, sat=(0.2, 0.9), val=(0.2, 0.95)) -> tuple[float, float, float]:
    return colorsys.hsv_to_rgb(rng.random(), rng.uniform(*sat), rng.uniform(*val))


def _jitter(rng, colour, amount=0.05):
    return tuple(np.clip(np.asarray(colour) + rng.normal(0, amount, 3), 0, 1))


def _background(rng) -> Background:
    kind = ["noise", "stripes", "horizon"][rng.integers(3)]
    k = int(rng.integers(2, 9))
    return Background(kind, (_colour(rng), _colour(rng), _colour(rng, val=(0.6, 1.0))),
                      rng.random((k + 1, k + 1)), float(rng.uniform(2, 10)), float(rng.uniform(0, math.pi)),
                      float(rng.uniform(0.2, 0.7)))


def _distractor(rng, scale_range=(0.04, 0.45)) -> list[Part]:
    size = math.exp(rng.uniform(math.log(scale_range[0]), math.log(scale_range[1])))
    cx, cy = rng.uniform(-0.05, 1.05, 2)
    colour = _jitter(rng, SKIN[rng.integers(len(SKIN))]) if rng.random() < 0.15 else _colour(rng)
    kind = rng.integers(8)
    if kind == 0:
        return [Part(Ellipse(cx, cy, size * rng.uniform(0.3, 1), size * rng.uniform(0.3, 1), rng.uniform(0, math.pi)), colour)]
    if kind == 1:
        return [Part(Box(cx, cy, size * rng.uniform(0.2, 1), size * rng.uniform(0.2, 1), rng.uniform(-0.5, 0.5),
                         size * rng.uniform(0, 0.3)), colour)]
    if kind == 2:
        pts = tuple((cx + size * math.cos(a), cy + size * math.sin(a))
                    for a in rng.uniform(0, 2 * math.pi) + np.sort(rng.uniform(0.6, 2.2, 3)).cumsum())
        return [Part(Triangle(pts), colour)]
    if kind == 3:  # pole
        return [Part(Capsule(cx, cy - size, cx + rng.normal(0, 0.2) * size, cy + size, size * rng.uniform(0.04, 0.12)), colour)]
    if kind == 4:  # tree: trunk and crown
        trunk = _colour(rng, sat=(0.3, 0.7), val=(0.2, 0.5))
        crown = _colour(rng, sat=(0.4, 0.9), val=(0.25, 0.8))
        return [Part(Capsule(cx, cy, cx, cy + size, size * 0.1), trunk),
                Part(Ellipse(cx, cy - size * 0.2, size * rng.uniform(0.3, 0.6), size * rng.uniform(0.35, 0.6)), crown)]
    if kind == 5:  # lamp post
        return [Part(Capsule(cx, cy - size, cx, cy + size, size * 0.05), colour),
                Part(Ellipse(cx, cy - size, size * 0.15, size * 0.1), _colour(rng, val=(0.7, 1.0)))]
    if kind == 6:  # four-legged animal
        body = Ellipse(cx, cy, size * 0.5, size * 0.22)
        legs = [Part(Capsule(cx + dx * size, cy + 0.1 * size, cx + dx * size + rng.normal(0, 0.05) * size,
                             cy + 0.6 * size, size * 0.06), colour) for dx in (-0.35, -0.2, 0.2, 0.35)]
        side = 1 if rng.random() < 0.5 else -1
        head = Ellipse(cx + side * 0.55 * size, cy - 0.25 * size, size * 0.16, size * 0.13)
        return legs + [Part(body, colour), Part(head, colour)]
    return [Part(Ellipse(cx, cy, size * 0.5, size * 0.5), colour),  # ring
            Part(Ellipse(cx, cy, size * 0.3, size * 0.3), _colour(rng))]


def _person(rng, height: float) -> list[Part]:
    """A standing figure ``height`` tall (scene units), feet at a random point."""
    h = height
    cx = rng.uniform(0.05, 0.95)
    feet = rng.uniform(0.75 * h, 1.0 + 0.25 * h)
    lean = rng.normal(0, 0.08)
    skin = _jitter(rng, SKIN[rng.integers(len(SKIN))], 0.03)
    shirt, trousers = _colour(rng), _colour(rng, val=(0.1, 0.8))
    shoes = _colour(rng, val=(0.05, 0.35))

    def at(dx, dy):  # figure coordinates (in heights, from the top centre) -> scene, leaning about the feet
        u, v = _rotate(dx * h, dy * h - h, lean)
        return cx + u, feet + v

    def limb(a, b, r, colour):
        (x0, y0), (x1, y1) = at(*a), at(*b)
        return Part(Capsule(x0, y0, x1, y1, r * h), colour, True)

    def blob(c, rx, ry, colour):
        x, y = at(*c)
        return Part(Ellipse(x, y, rx * h, ry * h, lean), colour, True)

    parts = []
    for side in (-1, 1):  # legs: hip, knee, foot
        hip = (side * 0.06, 0.5)
        a = side * rng.uniform(0.0, 0.35)
        knee = (hip[0] + 0.24 * math.sin(a), hip[1] + 0.24 * math.cos(a))
        b = a - side * rng.uniform(0.0, 0.25)
        foot = (knee[0] + 0.24 * math.sin(b), knee[1] + 0.24 * math.cos(b))
        parts += [limb(hip, knee, 0.05, trousers), limb(knee, foot, 0.045, trousers),
                  blob((foot[0] + side * 0.03, foot[1] + 0.01), 0.05, 0.025, shoes)]
    x, y = at(0, 0.33)
    parts.append(Part(Box(x, y, 0.12 * h, 0.18 * h, lean, 0.06 * h), shirt, True))
    parts.append(limb((0, 0.11), (0, 0.17), 0.028, skin))
    sleeve_skin = rng.random() < 0.4
    for side in (-1, 1):  # arms: shoulder, elbow, hand
        shoulder = (side * 0.11, 0.2)
        a = side * rng.uniform(0.05, 2.6)  # 0 hangs down, pi/2 points sideways, more raises it
        elbow = (shoulder[0] + 0.17 * math.sin(a), shoulder[1] + 0.17 * math.cos(a))
        b = a + side * rng.uniform(0.0, 1.4)
        hand = (elbow[0] + 0.16 * math.sin(b), elbow[1] + 0.16 * math.cos(b))
        parts += [limb(shoulder, elbow, 0.035, shirt), limb(elbow, hand, 0.03, skin if sleeve_skin else shirt),
                  blob(hand, 0.03, 0.03, skin)]
    parts.append(blob((0, 0.075), 0.058, 0.07, skin))
    if rng.random() < 0.85:
        parts.append(blob((0, 0.045), 0.062, 0.045, _jitter(rng, HAIR[rng.integers(len(HAIR))], 0.03)))
    return parts


def random_scene(rng: np.random.Generator) -> Scene:
    parts: list[Part] = []
    for _ in range(int(rng.integers(1, 7))):
        parts += _distractor(rng)
    r = rng.random()
    if r < 0.5:  # a person, large enough to count (figure area ~0.18 h^2 before clipping)
        for _ in range(1 + int(rng.random() < 0.2)):
            parts += _person(rng, math.exp(rng.uniform(math.log(0.28), math.log(0.95))))
    elif r < 0.62:  # a person too small to count: VWW's hard negatives
        parts += _person(rng, rng.uniform(0.05, 0.11))
    for _ in range(int(rng.integers(0, 3))):
        parts += _distractor(rng, (0.03, 0.15))
    return Scene(_background(rng), tuple(parts), float(rng.normal(0, 0.06)), float(rng.uniform(0.7, 1.2)),
                 float(rng.uniform(0, 0.04)), int(rng.integers(2**31)))


def scene(seed: int, index: int) -> Scene:
    """Sample ``index`` of the set seeded ``seed`` (independent of every other sample)."""
    return random_scene(np.random.default_rng([seed, index]))


def split_indices(samples: int, split: str) -> range:
    """``samples`` scenes in all: the first 80 % train, the rest val."""
    n_train = samples - max(1, samples // 5)
    if split == "train":
        return range(0, n_train)
    if split == "val":
        return range(n_train, samples)
    raise ValueError(f"synthetic-vww has splits train and val, not {split!r}")


def _render(args: tuple[int, range, int]) -> tuple[np.ndarray, np.ndarray]:
    seed, indices, resolution = args
    scenes = [scene(seed, i) for i in indices]
    return np.stack([s.render(resolution) for s in scenes]), np.array([s.label for s in scenes], dtype=np.int64)


@lru_cache(maxsize=8)
def synthetic_vww(samples: int, seed: int, split: str, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 images (N, res, res, 3), int64 labels) of one split, read-only: the stages of one
    build (search, BN calibration, training, quantization) share one rendering. Thousands of
    scenes are rendered by one process per core, in chunks whose order fixes the result."""
    indices = split_indices(samples, split)
    chunks = [(seed, indices[i:i + CHUNK], resolution) for i in range(0, len(indices), CHUNK)]
    if len(chunks) > 1 and (os.cpu_count() or 1) > 1:
        with ProcessPoolExecutor(min(os.cpu_count() or 1, len(chunks)), mp_context=multiprocessing.get_context("spawn")) as pool:
            parts = list(pool.map(_render, chunks))
    else:
        parts = [_render(c) for c in chunks]
    images, labels = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    images.flags.writeable = labels.flags.writeable = False
    return images, labels
