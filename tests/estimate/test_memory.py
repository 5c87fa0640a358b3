"""GPU memory of a training setup, by hand."""

from __future__ import annotations

import pytest

from sftprep.estimate import get_model
from sftprep.estimate.hardware import GPUS
from sftprep.estimate.memory import lora_params, memory

pytestmark = [pytest.mark.qa]


GIB = 2**30


def test_memory_qwen_7b_lora_on_a100_80gb() -> None:
    qwen = get_model("qwen2.5-7b")
    # kv dim 3584 / 28 x 4 = 512; per layer r x (q 7168 + k,v 2 x 4096 + o 7168
    # + gate,up 2 x 22,528 + down 22,528) = 16 x 90,112; x 28 layers = 40,370,176
    assert lora_params(qwen) == 40_370_176
    m = memory(qwen, "lora", seq_len=2048, batch_size=1, gpu=GPUS["a100-80gb"])
    a = 40_370_176
    assert m["weights_gb"] == round((2 * 7.62e9 + 2 * a) / GIB, 2)  # 14.27
    assert m["gradients_gb"] == round(2 * a / GIB, 2)  # 0.08
    assert m["optimizer_gb"] == round(12 * a / GIB, 2)  # 0.45
    assert m["activations_gb"] == round(2048 * 34 * 3584 * 28 / GIB, 2)  # 6.51
    assert m["logits_gb"] == round(2048 * 152_064 * 4 / GIB, 2)  # 1.16
    total = (2 * 7.62e9 + 16 * a + 2048 * 34 * 3584 * 28 + 2048 * 152_064 * 4) / GIB
    assert m["total_gb"] == round(total, 2) == 22.46
    assert m["fits"] is True and m["short_by_gb"] == 0.0
