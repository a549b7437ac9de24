"""TFLite's int8 scheme: activation parameters, per-channel weights, int32 bias, BN folding
and min/max calibration."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mcunet_core.ir import Activation
from mcunet_core.train.net import ConvBNAct
from mcunet_core.train.quantize import (BIAS_MAX, activation_qparams, bias_safe_scales, calibrate, calibration_batches, folded, quantize_bias,
                                        quantize_weights, weight_scales)


@pytest.mark.parametrize("lo, hi, scale, zp", [
    (0.0, 6.0, 6.0 / 255, -128),  # ReLU6 output: zero at the bottom of the range
    (-0.5, 1.5, 2.0 / 255, -64),  # 0.5 / (2 / 255) = 63.75 -> 64 steps above -128
    (2.0, 4.0, 4.0 / 255, -128),  # widened down to 0
    (-3.0, -1.0, 3.0 / 255, 127),  # widened up to 0
])
def test_activation_parameters(lo, hi, scale, zp):
    q = activation_qparams(lo, hi)
    assert q.scale[0] == np.float32(scale) and q.zero_point[0] == zp


def test_activation_range_contains_zero_exactly_and_reaches_both_ends():
    rng = np.random.default_rng(0)
    for lo, hi in rng.normal(0, 5, (200, 2)):
        lo, hi = min(lo, hi), max(lo, hi)
        q = activation_qparams(lo, hi)
        s, z = float(q.scale[0]), int(q.zero_point[0])
        assert -128 <= z <= 127
        assert (-128 - z) * s <= min(lo, 0) + s and (127 - z) * s >= max(hi, 0) - s


def test_weights_are_per_channel_symmetric_and_never_minus_128():
    w = torch.tensor([[[[63.5 / 64, -127 / 64]]], [[[127 / 128, 0.5 / 128]]], [[[0.0, 0.0]]]])  # exact scales
    s = weight_scales(w)
    assert s.tolist() == [1 / 64, 1 / 128, 1.0]
    q = quantize_weights(w, s)
    assert q.flatten().tolist() == [64, -127, 127, 1, 0, 0]  # halves round away from zero
    w = torch.randn(16, 3, 3, 3)
    q = quantize_weights(w, weight_scales(w))
    assert q.min() >= -127 and q.abs().amax(dim=(1, 2, 3)).eq(127).all()
    assert torch.all((q * weight_scales(w).reshape(-1, 1, 1, 1) - w).abs() <= weight_scales(w).reshape(-1, 1, 1, 1) / 2 + 1e-7)


def test_bias_is_int32_at_input_times_weight_scale():
    bias = quantize_bias(np.array([0.3, -0.3, 1e9]), 0.1, np.array([0.01, 0.01, 1.0], dtype=np.float32))
    assert bias.dtype == np.int32
    assert bias.tolist()[:2] == [300, -300] and bias[2] == 2**31 - 1  # saturates


def test_a_bias_beyond_its_channels_weights_raises_that_weight_scale_instead_of_saturating():
    """A nearly dead channel (weights ~1e-9, bias 0.5): at s_in * s_w its bias would pass int32;
    its scale grows so the bias is exactly BIAS_MAX, the other channels keep theirs."""
    w = torch.tensor([[[[1e-9, -2e-9]]], [[[0.5, -1.0]]]])
    b = torch.tensor([0.5, 0.25])
    s = bias_safe_scales(weight_scales(w), b, 0.01)
    assert s[1] == weight_scales(w)[1] and s[0] > weight_scales(w)[0]
    q = quantize_bias(b.numpy(), 0.01, s.numpy())
    assert abs(int(q[0])) == BIAS_MAX and quantize_weights(w, s)[0].abs().max() == 0
    assert float(q[0]) * 0.01 * float(s[0]) == pytest.approx(0.5, rel=1e-6)


def test_folded_conv_equals_conv_then_batchnorm():
    torch.manual_seed(0)
    layer = ConvBNAct("x", 4, 6, 3, 1, False, Activation.NONE)
    with torch.no_grad():
        layer.bn.running_mean.uniform_(-1, 1)
        layer.bn.running_var.uniform_(0.5, 2)
        layer.bn.weight.uniform_(0.5, 1.5)
        layer.bn.bias.uniform_(-1, 1)
    layer.eval()
    x = torch.randn(2, 4, 7, 7)
    w, b = folded(layer)
    expected = layer(x)
    got = F.conv2d(F.pad(x, (1, 1, 1, 1)), w, b)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_calibration_records_min_and_max_of_every_layer(trained_kws, kws_data):
    _, plain, _ = kws_data
    batches = calibration_batches(plain, 40, 16)
    assert [len(b) for b in batches] == [16, 16, 8]
    ranges = calibrate(trained_kws, batches)
    x = torch.cat(batches)
    assert ranges["input"] == (float(x.min()), float(x.max()))
    with torch.no_grad():
        logits = trained_kws(x)
    assert ranges["fc"] == pytest.approx((float(logits.min()), float(logits.max())), abs=1e-5)
    assert set(ranges) == {"input", *trained_kws.ir_layers()}
    assert all(lo >= 0 and hi <= 6 for name, (lo, hi) in ranges.items() if name.endswith((".dw", ".expand")))
