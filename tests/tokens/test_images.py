"""Image token formulas: OpenAI tiling, Qwen2-VL patch-and-merge (checked against
transformers' own image processor), fixed counts, and the family registry."""

from __future__ import annotations

import pytest

from sftprep.errors import UsageError
from sftprep.tokens.images import (
    FAMILIES,
    get_image_family,
    list_image_families,
    smart_resize,
    tiles,
)

# (width, height) -> tiles, from OpenAI's worked examples (a 1024 x 1024 square is 4
# tiles: 765 tokens; a 2048 x 4096 image is 6 tiles: 1105 tokens) and small images.
TILES = [((1024, 1024), 4), ((2048, 4096), 6), ((300, 168), 1), ((513, 100), 2), ((4096, 8192), 6)]


@pytest.mark.parametrize(("size", "expected"), TILES)
def test_openai_tiles(size: tuple[int, int], expected: int) -> None:
    assert tiles(*size) == expected
    gpt4o = get_image_family("gpt-4o")
    assert gpt4o.tokens(*size) == 85 + 170 * expected
    assert gpt4o.tokens(*size, detail="low") == 85
    mini = get_image_family("gpt-4o-mini")
    assert mini.tokens(*size) == 2833 + 5667 * expected


def test_openai_worked_examples() -> None:
    assert get_image_family("gpt-4o").tokens(1024, 1024) == 765
    assert get_image_family("gpt-4o").tokens(2048, 4096) == 1105


def test_fixed_families() -> None:
    assert get_image_family("llava-1.5").tokens(300, 168) == 576
    assert get_image_family("llava-1.5").tokens(4000, 3000) == 576
    assert get_image_family("gemma-3").tokens(300, 168) == 256


def test_qwen_demo_images() -> None:
    qwen = get_image_family("qwen2-vl")
    assert smart_resize(168, 300) == (168, 308)
    assert qwen.tokens(300, 168) == 66
    assert qwen.tokens(300, 199) == 77
    assert qwen.tokens(300, 166) == 66
    assert get_image_family("qwen2.5-vl").tokens(300, 199) == 77


def test_qwen_bounds_from_spec() -> None:
    default = get_image_family("qwen2-vl")
    capped = get_image_family("qwen2-vl:max_pixels=1003520")
    assert capped.max_pixels == 1003520 and capped.name == "qwen2-vl:max_pixels=1003520"
    assert default.tokens(4000, 3000) > capped.tokens(4000, 3000)
    assert capped.tokens(4000, 3000) <= 1003520 // (28 * 28)


@pytest.mark.parametrize(
    "spec",
    [
        "nope",
        "gpt-4o:max_pixels=5",
        "qwen2-vl:max_pixels=x",
        "qwen2-vl:size=5",
        "qwen2-vl:max_pixels",
    ],
)
def test_bad_specs_are_usage_errors(spec: str) -> None:
    with pytest.raises(UsageError):
        get_image_family(spec)


def test_registry_lists_every_family() -> None:
    assert list_image_families() == sorted(FAMILIES)
    assert {"gpt-4o", "gpt-4o-mini", "qwen2-vl", "qwen2.5-vl", "llava-1.5", "gemma-3"} <= set(
        FAMILIES
    )
    for family in FAMILIES.values():
        assert family.source and family.name in family.formula()


# Sizes around the rounding and both pixel bounds (tiny, huge, very wide).
QWEN_SIZES = [(300, 168), (300, 199), (10, 10), (56, 56), (1000, 50), (2000, 1500), (3000, 40)]


@pytest.mark.parametrize(("width", "height"), QWEN_SIZES)
@pytest.mark.parametrize("max_pixels", [12845056, 200704])
def test_qwen_formula_matches_transformers(width: int, height: int, max_pixels: int) -> None:
    """transformers' PIL image processor for Qwen2-VL runs without torch: its
    ``image_grid_thw`` (patches of 14 px) merged 2 x 2 is the model's token count."""
    pytest.importorskip("PIL")
    module = pytest.importorskip("transformers.models.qwen2_vl.image_processing_pil_qwen2_vl")
    from PIL import Image

    processor = module.Qwen2VLImageProcessorPil(min_pixels=3136, max_pixels=max_pixels)
    grid = processor(Image.new("RGB", (width, height)))["image_grid_thw"][0]
    expected = int(grid[0] * grid[1] * grid[2]) // 4
    family = get_image_family(f"qwen2-vl:max_pixels={max_pixels}")
    assert family.tokens(width, height) == expected
