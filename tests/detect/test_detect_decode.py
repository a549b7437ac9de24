"""Integer decoding of YOLO heads and integer NMS: hand cases, the float formulas they round,
the int8 path equal to the float path bit for bit, NMS against a float reference."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mcunet_core.detect import DetectionSpec, iou
from mcunet_core.detect.decode import ONE, Decoder, sigmoid_q15, sigmoid_table, to_float
from mcunet_core.detect.nms import nms
from mcunet_core.spec import load_task


@pytest.fixture(scope="module")
def spec():
    return DetectionSpec.from_task(load_task("person-det"))


def _logit(p):
    return np.log(p / (1 - p))


def test_sigmoid_q15_range_and_rounding():
    assert sigmoid_q15(0.0) == ONE // 2 and sigmoid_q15(-100.0) == 0 and sigmoid_q15(100.0) == ONE - 1
    table = sigmoid_table(0.1, -3)
    assert table.shape == (256,) and table[-3 + 128] == ONE // 2 and np.all(np.diff(table) >= 0)


def test_one_anchor_decodes_to_its_cell_and_anchor(spec):
    dec = Decoder.from_spec(spec)
    assert (dec.width, dec.height) == (160, 128) and dec.anchors_q[1].tolist() == [[192, 368], [384, 272], [368, 736]]
    outs = [np.full((3 * 6, 128 // s, 160 // s), -20.0) for s in spec.strides]
    level, anchor, gy, gx = 1, 2, 3, 5  # stride 16, anchor 23x46
    outs[level][anchor * 6:anchor * 6 + 4, gy, gx] = 0.0  # p = 0.5: centre of the cell, the anchor's size
    outs[level][anchor * 6 + 4:anchor * 6 + 6, gy, gx] = 20.0  # sure: objectness and class 1 - 2e-9
    (row,) = dec.from_float(outs)
    cx, cy = (gx + 0.5) * 16, (gy + 0.5) * 16
    assert row.tolist() == [0, ONE - 1 - 1, (cx - 11.5) * 16, (cy - 23) * 16, (cx + 11.5) * 16, (cy + 23) * 16]
    assert np.allclose(to_float(row[None])[0, 2:], [cx - 11.5, cy - 23, cx + 11.5, cy + 23])


def test_integer_boxes_round_the_float_formulas(spec):
    rng = np.random.default_rng(0)
    dec = Decoder.from_spec(dataclasses.replace(spec, postprocess={**spec.postprocess, "score_threshold": 0.0}))
    dec = dataclasses.replace(dec, max_candidates=10**6, max_detections=10**6, iou_q=ONE)  # nothing suppressed
    outs = [rng.normal(0, 2, (18, 128 // s, 160 // s)) for s in spec.strides]
    rows = dec.candidates([sigmoid_q15(o) for o in outs])
    assert len(rows) == sum(3 * (128 // s) * (160 // s) for s in spec.strides)
    anchors = spec.anchors_at()
    for row in rows[rng.choice(len(rows), 200, replace=False)]:
        # position -> level, cell, anchor
        pos, level = int(row[6]), 0
        while pos >= 3 * (128 // spec.strides[level]) * (160 // spec.strides[level]):
            pos -= 3 * (128 // spec.strides[level]) * (160 // spec.strides[level])
            level += 1
        s, w = spec.strides[level], 160 // spec.strides[level]
        cell, a = divmod(pos, 3)
        gy, gx = divmod(cell, w)
        p = 1 / (1 + np.exp(-outs[level][a * 6:(a + 1) * 6, gy, gx]))
        cx, cy = (gx + 2 * p[0] - 0.5) * s, (gy + 2 * p[1] - 0.5) * s
        bw, bh = (2 * p[2]) ** 2 * anchors[level][a][0], (2 * p[3]) ** 2 * anchors[level][a][1]
        expect = np.clip([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 0, [160, 128, 160, 128])
        assert np.abs(to_float(row[None, :6])[0, 2:] - expect).max() <= 0.2  # 1/16 px steps, Q15 rounding
        assert abs(row[1] / ONE - p[4] * p[5]) < 2e-4
    assert np.all(np.diff(rows[:, 1]) <= 0)  # best first


def test_int8_outputs_decode_as_their_float_values_bit_for_bit(spec):
    rng = np.random.default_rng(1)
    dec = Decoder.from_spec(dataclasses.replace(spec, postprocess={**spec.postprocess, "score_threshold": 0.05}))
    quant = [(0.07, -10), (0.11, 3), (0.05, 0)]
    q = [rng.integers(-128, 128, (18, 128 // s, 160 // s)) for s in spec.strides]
    from_int8 = dec.from_int8(q, [sigmoid_table(s, z) for s, z in quant])
    from_float = dec.from_float([(o - z) * s for o, (s, z) in zip(q, quant)])
    assert len(from_int8) and np.array_equal(from_int8, from_float)


def test_candidates_are_capped_and_ties_go_by_position(spec):
    dec = dataclasses.replace(Decoder.from_spec(spec), max_candidates=5)
    outs = [np.full((18, 128 // s, 160 // s), 5.0) for s in spec.strides]  # every anchor scores the same
    rows = dec.candidates([sigmoid_q15(o) for o in outs])
    assert rows[:, 6].tolist() == [0, 1, 2, 3, 4]


def _float_nms(rows, threshold, limit):
    kept = []
    for i in range(len(rows)):
        if len(kept) == limit:
            break
        same = [k for k in kept if rows[k, 0] == rows[i, 0]]
        if same and iou(rows[i:i + 1, 2:6], rows[same, 2:6]).max() > threshold:
            continue
        kept.append(i)
    return kept


def test_nms_hand_cases():
    rows = np.array([[0, 30000, 0, 0, 160, 160],  # kept
                     [0, 29000, 16, 0, 176, 160],  # IoU 144/176 = 0.82: suppressed
                     [1, 28000, 16, 0, 176, 160],  # another class: kept
                     [0, 27000, 320, 320, 480, 480],  # elsewhere: kept
                     [0, 26000, 0, 80, 160, 240]])  # IoU 1/3 with the first: kept at 0.45
    assert nms(rows, int(0.45 * ONE), 10).tolist() == [0, 2, 3, 4]
    assert nms(rows, int(0.3 * ONE), 10).tolist() == [0, 2, 3]
    assert nms(rows, int(0.45 * ONE), 2).tolist() == [0, 2]
    assert nms(rows[:0], int(0.45 * ONE), 2).tolist() == []


@pytest.mark.parametrize("seed", range(5))
def test_nms_matches_a_float_reference(seed):
    rng = np.random.default_rng(seed)
    n = 120
    xy = rng.integers(0, 1500, (n, 2))
    wh = rng.integers(16, 600, (n, 2))
    rows = np.concatenate([rng.integers(0, 3, (n, 1)), np.sort(rng.integers(0, ONE, n))[::-1, None], xy, xy + wh], 1)
    threshold = 0.45
    assert nms(rows, int(threshold * ONE + 0.5), 40).tolist() == _float_nms(rows.astype(float), int(threshold * ONE + 0.5) / ONE, 40)
