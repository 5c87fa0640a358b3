"""The fast backend (quicktok): the reference's counts on every real record, and everything
still works, saying so once, when quicktok is not installed."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastkit import HIDE_QUICKTOK, write_o200k_cache
from hfkit import DEEPSEEK, QWEN, SHARED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sftprep
from sftprep.cli.main import main
from sftprep.count import count_records
from sftprep.errors import UsageError
from sftprep.tokens import get_tokenizer
from sftprep.tokens.base import split_choice, with_choice

pytest.importorskip("quicktok")

REAL = SHARED / "data" / "real"
FILES = sorted(p for p in REAL.glob("*") if p.suffix in (".json", ".jsonl", ".csv"))
SPECS = {
    "cl100k_base": "cl100k_base",
    "o200k_base": "o200k_base",
    "qwen2.5": str(QWEN),
    "deepseek-r1-distill-llama-8b": str(DEEPSEEK),
}
HF_SPECS = [str(QWEN), str(DEEPSEEK)]
NOT_INSTALLED = (
    "sftprep: note: tokenizer backend auto: counting with the reference tokenizers; "
    "quicktok is not installed (pip install 'sftprep[fast]')"
)


@pytest.fixture(scope="module")
def o200k_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_o200k_cache(tmp_path_factory.mktemp("tiktoken-cache"))


@pytest.fixture
def offline_o200k(o200k_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """o200k_base for tiktoken without a download (see `fastkit`)."""
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(o200k_cache))


def _needs(spec: str) -> None:
    if spec in HF_SPECS:
        pytest.importorskip("transformers")
        if not Path(spec).is_dir():
            pytest.skip(f"needs the shared tokenizer {spec}")


def _rows(path: Path, spec: str, backend: str) -> list[tuple[Any, ...]]:
    records = count_records(path, spec, backend=backend, workers=1)
    return [
        (r.path, r.record, r.line, r.total, r.prompt, r.trainable, dict(r.fields)) for r in records
    ]


# --- exactness on the real datasets ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.usefixtures("offline_o200k")
@pytest.mark.parametrize("name", list(SPECS))
def test_every_real_record_counts_the_same(name: str, real_data_dir: Path) -> None:
    """Acceptance: every record of every real file, reference and fast, zero differences
    in total, prompt, trainable and per-field tokens."""
    spec = SPECS[name]
    _needs(spec)
    assert get_tokenizer(spec, backend="fast").describe()["backend"] == "fast"  # self-check
    counted, differences = 0, []
    for path in FILES:
        reference, fast = _rows(path, spec, "reference"), _rows(path, spec, "fast")
        assert len(fast) == len(reference), path.name
        differences += [(a, b) for a, b in zip(reference, fast, strict=True) if a != b]
        counted += len(reference)
    assert counted > 7000 and len(FILES) >= 15
    assert differences == []


@pytest.mark.slow
@pytest.mark.parametrize("spec", HF_SPECS)
def test_real_renderings_are_the_same(spec: str, real_data_dir: Path) -> None:
    """The token view and the token rules see the same ids, mask and assistant turns."""
    _needs(spec)
    reference, fast = get_tokenizer(spec, backend="reference"), get_tokenizer(spec, backend="fast")
    compared = 0
    for path in FILES:
        for i, conversation in enumerate(sftprep.load(path)):
            if i >= 150 or not conversation.messages:
                continue
            try:
                want = reference.render_turns(conversation)
            except Exception as exc:  # a template error: the fast one must fail alike
                with pytest.raises(type(exc)):
                    fast.render_turns(conversation)
                continue
            got = fast.render_turns(conversation)
            assert (got.ids, got.mask, got.turns) == (want.ids, want.mask, want.turns), path.name
            compared += 1
    assert compared > 1000


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=80))
def test_any_text_gives_the_reference_ids(text: str) -> None:
    """Property: any text (every code point, surrogates aside) gets the reference's ids and
    count; the newer code points quicktok's Unicode tables may read otherwise go to the
    reference (`sftprep.tokens.unassigned`)."""
    for spec in ("cl100k_base", *HF_SPECS):
        if spec in HF_SPECS and not Path(spec).is_dir():
            continue
        reference = get_tokenizer(spec, backend="reference")
        fast = get_tokenizer(spec, backend="fast")
        want = reference.encode(text)
        assert fast.encode(text) == want and fast.count(text) == len(want)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_token_positions_are_the_tokenizers_offsets(text: str) -> None:
    """Property: where each token sits (what the trainable mask is cut by) equals the
    tokenizers library's offsets."""
    pytest.importorskip("transformers")
    for spec in HF_SPECS:
        fast = get_tokenizer(spec, backend="fast")
        encoding = fast._encoding(text)  # type: ignore[attr-defined]
        want = fast._fast.encode(text, add_special_tokens=False)  # type: ignore[attr-defined]
        assert list(encoding.ids) == want.ids
        got = [tuple(encoding.token_to_chars(t)) for t in range(len(want.ids))]
        assert got == [tuple(o) for o in want.offsets]
        chars = [encoding.char_to_token(c) for c in range(len(text))]
        assert chars == [want.char_to_token(c) for c in range(len(text))]


# --- choosing the backend --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "backend", "expected"),
    [
        ("cl100k_base", None, ("auto", "cl100k_base")),
        ("cl100k_base", "fast", ("fast", "cl100k_base")),
        ("reference:cl100k_base", None, ("reference", "cl100k_base")),
        ("fast:hf:Qwen/Qwen2.5-7B-Instruct", "fast", ("fast", "hf:Qwen/Qwen2.5-7B-Instruct")),
        ("tiktoken:o200k_base", "auto", ("auto", "tiktoken:o200k_base")),
    ],
)
def test_the_choice_travels_in_the_spec(
    spec: str, backend: str | None, expected: tuple[str, str]
) -> None:
    assert split_choice(spec, backend) == expected


def test_with_choice() -> None:
    assert with_choice("cl100k_base", "fast") == "fast:cl100k_base"
    assert with_choice("cl100k_base", "auto") == "cl100k_base"
    assert with_choice("fast:cl100k_base", "fast") == "fast:cl100k_base"
    assert with_choice(None, "fast") is None


@pytest.mark.parametrize(
    ("spec", "backend", "message"),
    [
        ("cl100k_base", "quick", "unknown tokenizer backend 'quick'; known: auto, reference, fast"),
        ("fast:cl100k_base", "reference", "asks for the fast backend, not reference"),
    ],
)
def test_wrong_choices_are_usage_errors(spec: str, backend: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        get_tokenizer(spec, backend=backend)


def test_fast_and_reference_are_cached_apart() -> None:
    fast = get_tokenizer("cl100k_base", backend="fast")
    reference = get_tokenizer("cl100k_base", backend="reference")
    assert get_tokenizer("fast:cl100k_base") is fast is get_tokenizer("cl100k_base")
    assert get_tokenizer("reference:cl100k_base") is reference is not fast
    assert fast.describe()["backend"] == "fast" and reference.describe()["backend"] == "reference"
    assert fast.describe()["library"].startswith("quicktok-v1 ")
    assert reference.describe()["library"].startswith("tiktoken ")


def test_workers_rebuild_the_backend_that_counted() -> None:
    """A tokenizer travels to a worker as (spec, template, backend): the worker counts
    with the backend the parent chose (and checked), never re-choosing."""
    for backend in ("fast", "reference"):
        tok = get_tokenizer("cl100k_base", backend=backend)
        data = pickle.dumps(tok)
        assert len(data) < 200 and pickle.loads(data) is tok


def test_fast_on_a_vocabulary_quicktok_lacks_is_a_usage_error() -> None:
    from sftprep.tokens import quicktok_tiktoken
    from sftprep.tokens.tiktoken_backend import TiktokenTokenizer

    reference = get_tokenizer("cl100k_base", backend="reference")
    stranger = TiktokenTokenizer("p50k_base", reference.encoding)  # type: ignore[attr-defined]
    assert quicktok_tiktoken.build(stranger, None).startswith("quicktok has no p50k_base")


# --- the self-check ----------------------------------------------------------------------------


def test_a_twin_that_differs_falls_back_with_one_note(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sftprep.tokens import fast, quicktok_tiktoken
    from sftprep.tokens.tiktoken_backend import TiktokenTokenizer

    class OffByOne(quicktok_tiktoken.FastTiktokenTokenizer):
        def encode(self, text: str) -> list[int]:
            ids = super().encode(text)
            return [ids[0] + 1, *ids[1:]] if "endoftext" in text else ids

    def build(reference: Any, quicktok: Any) -> Any:
        return OffByOne(reference, quicktok.get_encoding(reference.name))

    monkeypatch.setattr(quicktok_tiktoken, "build", build)
    monkeypatch.setattr(fast, "_VERDICTS", {})
    reference = TiktokenTokenizer.load("cl100k_base")
    assert fast.accelerate(reference) is reference
    assert fast.accelerate(reference, strict=True) is reference  # exactness first
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("sftprep: note: cl100k_base: counting with tiktoken: quicktok")
    assert "self-check (text" in err[0] and "token 0 is" in err[0]


def test_the_hf_checks_refuse_what_quicktok_cannot_reproduce() -> None:
    pytest.importorskip("transformers")
    import orjson
    import quicktok

    from sftprep.tokens.quicktok_hf import Refused, grammar, merge_order, vocabulary

    spec = orjson.loads((QWEN / "tokenizer.json").read_bytes())
    assert grammar(spec) == "qwen3"
    nfkc = {**spec, "normalizer": {"type": "NFKC"}}
    with pytest.raises(Refused, match=r"no grammar for its pre-tokenizer \(NFKC normalizer\)"):
        grammar(nfkc)
    with pytest.raises(Refused, match="not a byte-level BPE"):
        grammar({**spec, "model": {**spec["model"], "byte_fallback": True}})
    model = spec["model"]
    quick = quicktok.get_encoding("qwen3")
    assert len(vocabulary(model, quick)) == len(model["vocab"])
    vocab = dict(model["vocab"])
    vocab["hello"], vocab["world"] = vocab["world"], vocab["hello"]
    with pytest.raises(Refused, match="is not quicktok's qwen3 token"):
        vocabulary({**model, "vocab": vocab}, quick)
    merge_order(model)
    merges = list(model["merges"])
    merges[10], merges[5000] = merges[5000], merges[10]
    with pytest.raises(Refused, match="not in rank order"):
        merge_order({**model, "merges": merges})


def test_an_hf_vocabulary_quicktok_does_not_bundle_is_imported_and_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tokenizer.json on a grammar quicktok knows but with a vocabulary it does not
    bundle is imported (quicktok verifies it against the tokenizers library), cached, and
    then checked like a bundled one."""
    pytest.importorskip("transformers")
    import quicktok

    from sftprep.tokens import quicktok_hf
    from sftprep.tokens.hf_backend import HFTokenizer
    from sftprep.tokens.selfcheck import check_against

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    # Pretend Qwen's grammar came with Llama-3's vocabulary: the bundled one does not match.
    monkeypatch.setitem(quicktok_hf.GRAMMARS, (quicktok_hf.QWEN_PATTERN, "NFC"), "llama3")
    reference = HFTokenizer.load(str(QWEN))
    twin = quicktok_hf.build(reference, quicktok)
    assert not isinstance(twin, str), twin
    assert twin.quick.name.startswith("sftprep-")
    assert check_against(twin, reference) is None
    assert list((tmp_path / "sftprep" / "quicktok").glob("sftprep-*.enc"))

    def no_import(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("imported twice")

    monkeypatch.setattr(quicktok, "import_tokenizer", no_import)
    again = quicktok_hf.build(reference, quicktok)
    assert not isinstance(again, str) and again.quick.name == twin.quick.name


def test_the_unassigned_table_is_unicode_14() -> None:
    import unicodedata

    from sftprep.tokens.unassigned import Unassigned, load_ranges, ranges_from_unicodedata

    data = load_ranges()
    assert data["unicode"] == "14.0.0"
    if unicodedata.unidata_version == "14.0.0":
        assert ranges_from_unicodedata() == data["ranges"]
    guard = Unassigned()
    assert not guard.holds("caf\u00e9 \u65e5\u672c \U0001f680 \ue000")
    assert guard.holds("\U00032fe1") and guard.holds("a\ud800") and guard.holds("\u0378")


# --- output names the backend ------------------------------------------------------------------


@pytest.fixture
def chat(tmp_path: Path) -> Path:
    path = tmp_path / "chat.jsonl"
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"Question {i}: caf\u00e9? <|im_end|>"},
                {"role": "assistant", "content": "Answer " * (i + 1)},
            ]
        }
        for i in range(30)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_stats_names_the_backend(chat: Path, capsys: pytest.CaptureFixture[str]) -> None:
    counts = {}
    for backend in ("fast", "reference"):
        argv = ["stats", str(chat), "--json", "--tokenizer-backend", backend, "--workers", "2"]
        assert main(argv) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["tokenizer"]["backend"] == backend
        counts[backend] = doc["tokens"]
    assert counts["fast"] == counts["reference"]
    assert main(["stats", str(chat), "--quiet"]) == 0
    assert "counted by quicktok-v1 " in capsys.readouterr().out


def test_report_and_estimate_name_the_backend(
    chat: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "r.html"
    argv = ["report", str(chat), "-o", str(out), "--quiet", "--tokenizer-backend", "fast"]
    assert main(argv) == 0
    assert "counted by quicktok-v1 " in out.read_text() and "fast backend" in out.read_text()
    assert main(["estimate", str(chat), "--model", "8B", "--gpu", "h100", "--json"]) == 0
    assumptions = json.loads(capsys.readouterr().out)["assumptions"]
    assert any("quicktok-v1" in a and "fast backend" in a for a in assumptions)


def test_check_counts_with_the_backend_asked_for(chat: Path) -> None:
    options = {"tokenizer": "reference:cl100k_base", "max_tokens": 12}
    reference = sftprep.check(chat, options=options)
    fast = sftprep.check(chat, options={**options, "tokenizer": "fast:cl100k_base"})
    assert [f.message for f in fast.findings] == [f.message for f in reference.findings]
    assert any(f.rule == "too-long" for f in fast.findings)


# --- without quicktok --------------------------------------------------------------------------


def _hidden(*argv: str, script: str = "") -> subprocess.CompletedProcess[str]:
    """``sftprep ARGV`` (or ``script``) in a fresh interpreter where quicktok is missing."""
    code = HIDE_QUICKTOK + (
        script or "from sftprep.cli.main import main; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_without_quicktok_auto_counts_with_the_reference_and_says_so_once(chat: Path) -> None:
    pytest.importorskip("transformers")
    argv = ["stats", str(chat), "--json", "--workers", "2", "--tokenizer", "cl100k_base"]
    result = _hidden(*argv, "--tokenizer", str(QWEN))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [NOT_INSTALLED]
    doc = json.loads(result.stdout)
    assert doc["tokenizer"]["backend"] == doc["compare"]["tokenizer"]["backend"] == "reference"
    fast = sftprep.count_tokens(chat, "cl100k_base", backend="fast")
    assert doc["tokens"] == fast.tokens()  # the same numbers either way


@pytest.mark.slow
def test_without_quicktok_every_command_works(chat: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    commands = [
        ["stats", str(chat), "--quiet"],
        ["check", str(chat), "--tokenizer", "cl100k_base", "--max-tokens", "20", "--quiet"],
        ["estimate", str(chat), "--model", "8B", "--gpu", "h100", "--quiet"],
        ["report", str(chat), "-o", str(out / "r.html"), "--quiet"],
        [
            "fix",
            str(chat),
            "-o",
            str(out / "f.jsonl"),
            "--rejects",
            str(out / "x.jsonl"),
            "--tokenizer",
            "cl100k_base",
            "--max-tokens",
            "20",
            "--quiet",
        ],
        ["stats", str(chat), "--quiet", "--tokenizer-backend", "reference"],
    ]
    script = (
        "import json\n"
        "from sftprep.cli.main import main\n"
        "import sftprep\n"
        f"codes = [main(argv) for argv in {commands!r}]\n"
        f"api = sftprep.count_tokens({str(chat)!r}).tokenizer['backend']\n"
        "print(json.dumps({'codes': codes, 'api': api}))\n"
    )
    out.mkdir()
    result = _hidden(script=script)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome["codes"] == [0] * len(commands) and outcome["api"] == "reference"
    assert result.stderr.splitlines() == [NOT_INSTALLED]  # once for the whole process
    assert "counted by tiktoken " in result.stdout


def test_without_quicktok_fast_is_a_usage_error(chat: Path) -> None:
    result = _hidden("stats", str(chat), "--tokenizer-backend", "fast")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "sftprep: error: --tokenizer-backend fast: cl100k_base: quicktok is not installed "
        "(pip install 'sftprep[fast]')"
    ]
