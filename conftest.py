"""Docstring examples (``--doctest-modules src/sftprep``) run in a fresh folder.

Each doctest runs in its own temporary folder that holds a link to the repository's
``examples/``: an example reads ``examples/qa_dataset.jsonl`` as a user in the
repository would, and one that writes (``fix(..., "clean.jsonl")``) writes there,
never into the checkout. Tests under ``tests/`` are not touched.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent
SRC = REPO / "src"


@pytest.fixture(autouse=True)
def _doctest_folder(request: pytest.FixtureRequest) -> None:
    if SRC not in Path(request.node.path).parents:  # a test under tests/: leave it alone
        return
    folder: Path = request.getfixturevalue("tmp_path")
    (folder / "examples").symlink_to(REPO / "examples", target_is_directory=True)
    request.getfixturevalue("monkeypatch").chdir(folder)


# tests/plugins/ holds plugin modules that register units when imported: only the
# subprocesses of tests/test_plugins.py load them (SFTPREP_PLUGINS), never this process.
collect_ignore = ["tests/plugins"]
