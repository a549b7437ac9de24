"""Plain-C kernels with TFLite reference semantics: every op has one (the fallback)."""

from . import conv, fully_connected, pool, reshape  # noqa: F401
from . import elementwise  # noqa: F401  (ADD, MUL)
from . import mean  # noqa: F401
from . import data_movement  # noqa: F401  (PAD, CONCATENATION, TRANSPOSE, RESIZE_NEAREST_NEIGHBOR, RESHAPE copy)
from . import activation  # noqa: F401  (SOFTMAX, LOGISTIC, HARD_SWISH)
from . import quantize  # noqa: F401  (QUANTIZE, DEQUANTIZE)
from . import binary_fast  # noqa: F401  (ADD, MUL with the fast exact requantization)
from . import region  # noqa: F401  (SLICE, MCUNET_PASTE: patch-based inference)
