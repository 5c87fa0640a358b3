"""Cost, time and memory estimates for a fine-tuning run (see docs/estimates.md).

>>> from sftprep.estimate import estimate
>>> e = estimate([500] * 40, model="llama-3.1-8b", gpu="rtx-6000-ada", epochs=1)
>>> e.gpu["tokens_per_s"], e.gpu["throughput_source"].startswith("published")
(2151.0, True)

Tables (plain data, a source and date per row): `prices.PRICES` (a dict that ``--prices
FILE`` extends), the registries `hardware.GPUS` and `hardware.MODELS`, and
`throughput.PUBLISHED`. Showing an estimate is report/'s: `sftprep.report.estimate.render`.
"""

from sftprep.estimate.core import Estimate, estimate
from sftprep.estimate.hardware import GPUS, MODELS, get_gpu, get_model
from sftprep.estimate.prices import PRICES, default_epochs, get_price, load_prices
from sftprep.estimate.throughput import PUBLISHED

__all__ = [
    "GPUS",
    "MODELS",
    "PRICES",
    "PUBLISHED",
    "Estimate",
    "default_epochs",
    "estimate",
    "get_gpu",
    "get_model",
    "get_price",
    "load_prices",
]
