"""Shared fixtures: the project's ``../shared`` folder and its real datasets.

Both fixtures skip the test, with the reason, when the folder is absent (a checkout
without the shared test data), so the suite still passes there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` next to the repository (tokenizers, real data, hooks)."""
    if not SHARED.is_dir():
        pytest.skip(f"needs the shared test data folder {SHARED} (absent in this checkout)")
    return SHARED


@pytest.fixture(scope="session")
def real_data_dir(shared_dir: Path) -> Path:
    """``../shared/data/real``: third-party datasets described by SOURCES.md."""
    real = shared_dir / "data" / "real"
    if not real.is_dir():
        pytest.skip(f"needs the real datasets folder {real} (absent in this checkout)")
    return real


@pytest.fixture(scope="session")
def real_data(real_data_dir: Path) -> Path:
    """Alias of `real_data_dir`."""
    return real_data_dir


@pytest.fixture(scope="session")
def mllm_demo(shared_dir: Path) -> Path:
    """``../shared/data/multimodal/llamafactory__mllm_demo.json``: LLaMA-Factory's vision
    demo, 6 records with ``<image>`` placeholders and an ``images`` column of 3 JPEGs."""
    path = shared_dir / "data" / "multimodal" / "llamafactory__mllm_demo.json"
    if not path.is_file():
        pytest.skip(f"needs the multimodal demo {path} (absent in this checkout)")
    return path


@pytest.fixture
def mllm_copy(mllm_demo: Path, tmp_path: Path) -> Path:
    """A writable copy of the demo and its images in ``tmp_path/demo``."""
    import shutil

    folder = tmp_path / "demo"
    (folder / "mllm_demo_data").mkdir(parents=True)
    for image in (mllm_demo.parent / "mllm_demo_data").iterdir():  # writable copies
        shutil.copyfile(image, folder / "mllm_demo_data" / image.name)
    target = folder / mllm_demo.name
    target.write_bytes(mllm_demo.read_bytes())
    return target
