"""The fast backend: quicktok's C++ BPE counts exactly what the reference tokenizer counts.

`accelerate` turns a loaded reference tokenizer (a tiktoken encoding, a Hugging Face
tokenizer) into its fast twin when quicktok (``pip install 'sftprep[fast]'``) is
installed and serves the vocabulary. A builder per reference kind (`BUILDERS`, imported
on first use) makes the twin or says why it cannot.

Exactness is proven, not assumed: before a twin counts anything it must reproduce the
reference on the built-in corpus (`sftprep.tokens.selfcheck`), id for id and mask for
mask; one difference and the reference counts instead, with a one-line note. With
``strict`` (``--tokenizer-backend fast``), a vocabulary quicktok cannot serve is a usage
error; ``auto`` falls back to the reference and says why, once per process.

>>> from sftprep.tokens import get_tokenizer
>>> tok = accelerate(get_tokenizer("cl100k_base", backend="reference"), strict=False)
>>> tok.describe()["backend"], tok.describe()["library"]
('fast', 'quicktok-v1 ...')
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from sftprep.errors import UsageError
from sftprep.tokens.base import BaseTokenizer, tokenizer_failure

# Reference kind -> the module whose ``build(reference, quicktok)`` returns the fast twin,
# or a string saying why there is none.
BUILDERS = {
    "tiktoken": "sftprep.tokens.quicktok_tiktoken",
    "hf": "sftprep.tokens.quicktok_hf",
}
INSTALL = "pip install 'sftprep[fast]'"

# id(reference) -> its checked fast twin, or why there is none (references live as long
# as the process: the registry caches them)
_VERDICTS: dict[int, BaseTokenizer | str] = {}
_NOTED: set[str] = set()


def accelerate(reference: BaseTokenizer, *, strict: bool = False) -> BaseTokenizer:
    """The checked fast twin of ``reference``, else ``reference`` itself (see above)."""
    verdict = _VERDICTS.get(id(reference))
    if verdict is None:
        verdict = _VERDICTS[id(reference)] = _checked_twin(reference)
    if not isinstance(verdict, str):
        return verdict
    if strict and not verdict.startswith("quicktok differs"):
        raise UsageError(f"--tokenizer-backend fast: {reference.name}: {verdict}")
    note(_fallback_note(reference, verdict))
    return reference


def _checked_twin(reference: BaseTokenizer) -> BaseTokenizer | str:
    from sftprep.tokens.selfcheck import check_against

    try:
        built = build_twin(reference)
        if isinstance(built, str):
            return built
        problem = check_against(built, reference)
    except BaseException as exc:  # a C++ exception or a Rust panic (a BaseException)
        failure = tokenizer_failure(exc)
        if failure is None:
            raise
        return f"quicktok failed while it was built or checked ({failure})"
    if problem is not None:
        return f"quicktok differs from {_library(reference)} on the self-check ({problem})"
    return built


def rebuild_fast(reference: BaseTokenizer) -> BaseTokenizer:
    """The fast twin in a worker process: checked by the parent (a forked worker has it
    already), so built again without the check; the reference if quicktok is missing."""
    verdict = _VERDICTS.get(id(reference))
    if verdict is None:
        try:
            verdict = build_twin(reference)
        except BaseException as exc:  # a C++ exception or a Rust panic (a BaseException)
            failure = tokenizer_failure(exc)
            if failure is None:
                raise
            verdict = str(failure)
        _VERDICTS[id(reference)] = verdict
    return reference if isinstance(verdict, str) else verdict


def build_twin(reference: BaseTokenizer) -> BaseTokenizer | str:
    """The unchecked fast twin of ``reference``, or why there is none."""
    quicktok = import_quicktok()
    if quicktok is None:
        return f"quicktok is not installed ({INSTALL})"
    module = BUILDERS.get(reference.kind)
    if module is None:
        return f"the fast backend has no {reference.kind} tokenizers"
    built: BaseTokenizer | str = importlib.import_module(module).build(reference, quicktok)
    return built


def import_quicktok() -> ModuleType | None:
    """quicktok, or None when it is not installed (or hidden: ``sys.modules`` maps it
    to None)."""
    try:
        import quicktok
    except ImportError:
        return None
    return quicktok


def note(message: str) -> None:
    """Say ``message`` on stderr, once per process."""
    if message in _NOTED:
        return
    _NOTED.add(message)
    print(f"sftprep: note: {message}", file=sys.stderr)


def _fallback_note(reference: BaseTokenizer, why: str) -> str:
    if why.startswith("quicktok is not installed"):
        # One line for every tokenizer of the run: the reason is the same.
        return f"tokenizer backend auto: counting with the reference tokenizers; {why}"
    return f"{reference.name}: counting with {_library(reference)}: {why}"


def _library(tokenizer: BaseTokenizer) -> str:
    return tokenizer.library().split()[0]
