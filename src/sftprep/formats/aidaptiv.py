"""aiDAPTIV+ dataset config: a YAML file that says how records become conversations.

The config follows Phison's documented layout (aiDAPTIV-Phison/aiDAPTIV,
``Page_Sections/Configuration_Options``): each dataset is a uniquely named entry,
datasets are separated by ``---``, and an entry has ``data_path`` (a local file,
relative to the YAML, or a Hugging Face Hub id), ``strategy`` (qa, rag, pretrain,
vqa; any case), ``system_prompt``, ``user_prompt`` (containing ``{question}``, and
``{rag}`` for rag), ``question_key`` / ``answer_key`` (strings, or lists of equal
length for multi-turn), ``rag_key`` (a dotted path such as ``context.sentences``),
``image_key``, ``text`` (the pretrain column), ``label_key`` and ``exp_type``::

    rm-static:
      data_path: "Dahoas/rm-static"
      strategy: "QA"
      user_prompt: "{question}"
      question_key: "instruction"
      answer_key: "response"
      exp_type: train

A document holding the entry keys directly (no name) is read too.
`load_config` validates the config first (``config-invalid`` and ``unknown-key``
findings name the config key and its line) and returns the valid entries;
`ConfigEntry.format()` is the adapter that applies an entry to records.

>>> entries, findings = load_config("examples/aidaptiv_qa.yaml")
>>> [(e.strategy, str(e.data_path)) for e in entries], findings
([('qa', 'examples/qa_dataset.jsonl')], [])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from sftprep.catalog import make_finding
from sftprep.errors import UsageError
from sftprep.findings import Finding
from sftprep.formats.base import Capability, Format
from sftprep.formats.schema import json_kind
from sftprep.model import Conversation, Location, Message

STRATEGIES = ("qa", "rag", "pretrain", "vqa")
KEYS = frozenset(
    {
        "data_path",
        "strategy",
        "system_prompt",
        "user_prompt",
        "question_key",
        "answer_key",
        "rag_key",
        "image_key",
        "label_key",
        "exp_type",
        "text",
    }
)
STRING_KEYS = ("system_prompt", "user_prompt", "rag_key", "image_key", "label_key", "exp_type")
DEFAULT_USER_PROMPT = "{question}"
DEFAULT_TEXT_KEY = "text"

_MISSING = object()


@dataclass(frozen=True)
class ConfigEntry:
    """One validated dataset entry of the config."""

    data_path: Path
    strategy: str
    name: str | None = None
    question_keys: tuple[str, ...] = ()
    answer_keys: tuple[str, ...] = ()
    system_prompt: str | None = None
    user_prompt: str = DEFAULT_USER_PROMPT
    rag_key: str | None = None
    image_key: str | None = None
    label_key: str | None = None
    exp_type: str | None = None
    text_key: str = DEFAULT_TEXT_KEY

    def format(self) -> Format:
        """The adapter applying this entry (``text`` for pretrain, else ``aidaptiv``)."""
        if self.strategy == "pretrain":
            return AidaptivPretrainFormat(self)
        return AidaptivFormat(self)


class AidaptivFormat(Format):
    """Applies one qa/rag/vqa entry: system prompt, templated user turns, answers."""

    name = "aidaptiv"
    description = "records driven by an aiDAPTIV+ dataset YAML"

    def __init__(self, entry: ConfigEntry) -> None:
        self.entry = entry

    def text_paths(self) -> tuple[str, ...]:
        """The record paths holding training text, in turn order."""
        e = self.entry
        turns = zip(e.question_keys, e.answer_keys, strict=False)
        return tuple(dict.fromkeys(key for turn in turns for key in turn))

    def read_paths(self) -> tuple[str, ...]:
        """The record paths this entry reads text from (text, and the documents of rag)."""
        rag = (self.entry.rag_key,) if self.entry.rag_key else ()
        return (*self.text_paths(), *rag)

    @cached_property
    def known_keys(self) -> frozenset[str]:
        e = self.entry
        named = (*self.read_paths(), e.image_key or "", e.label_key or "")
        return frozenset(p.split(".")[0] for p in named if p)

    @property
    def media_keys(self) -> tuple[str, ...]:
        """A ``vqa`` entry's images are in its ``image_key`` column."""
        e = self.entry
        return (e.image_key,) if e.strategy == "vqa" and e.image_key else ()

    def matches(self, record: Any) -> float:
        return 1.0 if isinstance(record, Mapping) else 0.0

    def validate(self, record: Any, location: Location) -> Iterator[Finding]:
        # Keys the config does not name are not trained on: `unknown-key` notes them per file.
        if not isinstance(record, Mapping):
            kind = json_kind(record)
            yield make_finding("not-an-object", f"record is a JSON {kind}, not an object", location)
            return
        e = self.entry
        for path in self.text_paths():
            yield from _check_path(record, path, (str,), location)
        if e.rag_key:
            yield from _check_path(record, e.rag_key, (str, list), location)
        if e.strategy == "vqa" and e.image_key:
            yield from _check_path(record, e.image_key, None, location)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        e = self.entry
        messages: list[Message] = []
        if e.system_prompt:
            messages.append(Message("system", e.system_prompt, content_field="system_prompt"))
        rag = flatten(get_path(record, e.rag_key)) if e.rag_key else ""
        fields: dict[str, str] = {e.rag_key: rag} if e.rag_key else {}
        for q_key, a_key in zip(e.question_keys, e.answer_keys, strict=False):
            question = _text(get_path(record, q_key))
            answer = _text(get_path(record, a_key))
            fields.update({q_key: question or "", a_key: answer or ""})
            prompt = None if question is None else render(e.user_prompt, question, rag)
            messages.append(Message("user", prompt, content_field=q_key))
            messages.append(Message("assistant", answer, content_field=a_key))
        metadata, leftovers = unread_parts(record, self.read_paths())
        return Conversation(
            tuple(messages),
            location=location,
            format=self.name,
            fields=fields,
            metadata=metadata,
            leftovers=leftovers,
        )


class AidaptivPretrainFormat(AidaptivFormat):
    """A pretrain entry: the ``text`` column as one trained block (like the ``text`` format).

    Named ``text`` so that conversation rules skip it, as they skip plain text files.
    """

    name = "text"
    description = "pretraining text driven by an aiDAPTIV+ dataset YAML"
    kind = "pretraining"
    capabilities = Capability.RAW_TEXT | Capability.VERBATIM

    def text_paths(self) -> tuple[str, ...]:
        return (self.entry.text_key,)

    def to_conversation(self, record: Mapping[str, Any], location: Location) -> Conversation:
        key = self.entry.text_key
        text = _text(get_path(record, key))
        message = Message("assistant", text, content_field=key)
        metadata, leftovers = unread_parts(record, (key,))
        fields = {key: text} if text is not None else {}
        return Conversation(
            (message,),
            location=location,
            format=self.name,
            fields=fields,
            metadata=metadata,
            leftovers=leftovers,
        )


def unread_parts(
    record: Mapping[str, Any], paths: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(metadata, leftovers)``: the top-level keys no dotted path in ``paths`` starts at,
    and the siblings of every nested step of a path (``context.title`` beside a
    ``context.sentences`` read for rag), so nothing the entry does not read goes unseen.

    >>> unread_parts({"q": "?", "ctx": {"sentences": [], "title": []}, "id": 1},
    ...              ["q", "ctx.sentences"])
    ({'id': 1}, {'ctx.title': []})
    """
    roots = {p.split(".")[0] for p in paths}
    metadata = {k: v for k, v in record.items() if k not in roots}
    leftovers: dict[str, Any] = {}
    for path in paths:
        parts = path.split(".")
        node: Any = record
        for depth in range(len(parts) - 1):
            node = node.get(parts[depth]) if isinstance(node, Mapping) else None
            if not isinstance(node, Mapping):
                break
            prefix = ".".join(parts[: depth + 1])
            for key, value in node.items():
                sub = f"{prefix}.{key}"
                if not any(p == sub or p.startswith(sub + ".") for p in paths):
                    leftovers[sub] = value
    return metadata, leftovers


def render(template: str, question: str, rag: str) -> str:
    """Fill ``{question}`` and ``{rag}`` in a user prompt.

    >>> render("Context: {rag}\\nQ: {question} {not a field}", "Why?", "Doc.")
    'Context: Doc.\\nQ: Why? {not a field}'
    """
    # str.replace, not str.format: prompts may contain other braces (JSON, code).
    return template.replace("{question}", question).replace("{rag}", rag)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def get_path(record: Any, path: str | None, default: Any = None) -> Any:
    """The value at a dotted path (``context.sentences``), or ``default``."""
    value = record
    for part in (path or "").split("."):
        if not isinstance(value, Mapping) or part not in value:
            return default
        value = value[part]
    return value


def flatten(value: Any) -> str:
    """Nested lists of strings (RAFT's ``sentences``) as one text, a line per item."""
    texts: list[str] = []
    stack = [value]
    while stack:  # a loop, not recursion: documents may nest deeply
        item = stack.pop()
        if isinstance(item, str):
            if item:
                texts.append(item)
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return "\n".join(texts)


def _check_path(
    record: Mapping[str, Any], path: str, types: tuple[type, ...] | None, location: Location
) -> Iterator[Finding]:
    value = get_path(record, path, _MISSING)
    if value is _MISSING:
        yield make_finding(
            "missing-key",
            f"`{path}` (named by the dataset config) is missing",
            location,
            field=path,
        )
    elif types is not None and value is not None and not isinstance(value, types):
        wanted = " or ".join("text" if t is str else "a list" for t in types)
        yield make_finding(
            "wrong-type",
            f"`{path}` should be {wanted}, got {json_kind(value)}",
            location,
            field=path,
        )


def load_config(path: str | Path) -> tuple[list[ConfigEntry], list[Finding]]:
    """Parse and validate the config; invalid entries are left out (with findings)."""
    from sftprep.io.text import open_binary

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{p}: no such config file")
    try:
        with open_binary(p) as fh:  # a regular file only: a pipe never blocks
            data = fh.read()
        documents = list(yaml.compose_all(data.decode("utf-8-sig")))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        finding = make_finding(
            "config-invalid",
            f"config is not valid YAML: {exc}".splitlines()[0],
            Location(str(p), line, None),
        )
        return [], [finding]
    entries: list[ConfigEntry] = []
    findings: list[Finding] = []
    names: set[str] = set()
    nodes = _entry_nodes([d for d in documents if d is not None], p, findings)
    for index, (node, name, line) in enumerate(nodes):
        where = Location(str(p), line, index)
        if name is not None:
            if name in names:
                findings.append(
                    make_finding(
                        "config-invalid",
                        f"dataset name `{name}` is used twice; each entry needs a unique name",
                        where,
                        field=name,
                    )
                )
            names.add(name)
        entry, problems = _entry(node, name, p, where)
        findings.extend(problems)
        if entry is not None:
            entries.append(entry)
    if not entries and not findings:
        findings.append(
            make_finding("config-invalid", "config has no entries", Location(str(p), 1, None))
        )
    return entries, findings


def _entry_nodes(
    documents: Sequence[yaml.Node], path: Path, findings: list[Finding]
) -> Iterator[tuple[yaml.Node, str | None, int]]:
    """Each entry's node, dataset name (None for a document that is the entry) and line."""
    for doc in documents:
        if not isinstance(doc, yaml.MappingNode):
            findings.append(
                make_finding(
                    "config-invalid",
                    "a config document must map dataset names to their keys",
                    Location(str(path), doc.start_mark.line + 1, None),
                )
            )
            continue
        keys = [k.value for k, _ in doc.value if isinstance(k, yaml.ScalarNode)]
        if any(k in KEYS for k in keys):
            yield doc, None, doc.start_mark.line + 1
            continue
        for key, value in doc.value:
            yield value, str(key.value), key.start_mark.line + 1


def _entry(
    node: yaml.Node, name: str | None, path: Path, where: Location
) -> tuple[ConfigEntry | None, list[Finding]]:
    label = f"dataset `{name}`" if name is not None else "entry"
    if not isinstance(node, yaml.MappingNode):
        finding = make_finding(
            "config-invalid", f"{label} is not a mapping of keys", where, field=name
        )
        return None, [finding]
    lines = {
        k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)
    }
    raw = yaml.safe_load(yaml.serialize(node))

    def bad(key: str, message: str, rule: str = "config-invalid") -> Finding:
        line = lines.get(key, where.line)
        return make_finding(rule, message, Location(where.path, line, where.record), field=key)

    problems = list(_check_entry(raw, path, bad))
    if any(f.rule == "config-invalid" for f in problems):
        return None, problems
    return _build(raw, name, path), problems


def _check_entry(
    raw: Mapping[str, Any], path: Path, bad: Callable[..., Finding]
) -> Iterator[Finding]:
    for key in raw:
        if key not in KEYS:
            yield bad(str(key), f"`{key}` is not an aiDAPTIV+ dataset key", "unknown-key")
    strategy = _strategy(raw)
    if strategy not in STRATEGIES:
        yield bad(
            "strategy",
            f"`strategy` must be one of {', '.join(STRATEGIES)}, got {raw.get('strategy')!r}",
        )
    data_path = raw.get("data_path")
    if not isinstance(data_path, str) or not data_path:
        yield bad("data_path", "`data_path` (the dataset file or Hub id) is missing or not text")
    elif _resolve(data_path, path) is None:
        # Phison's examples write /home/{username}/...: a copy that kept it names no file.
        fill = " (replace {username} with your user name)" if "{username}" in data_path else ""
        yield bad("data_path", f"`data_path` {data_path!r} does not exist{fill}")
    for key in (*STRING_KEYS, "text"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            yield bad(key, f"`{key}` must be text")
    if strategy in ("qa", "rag", "vqa"):
        yield from _check_turn_keys(raw, strategy, bad)
        prompt = raw.get("user_prompt") or DEFAULT_USER_PROMPT
        if isinstance(prompt, str) and "{question}" not in prompt:
            yield bad("user_prompt", "`user_prompt` must contain the {question} placeholder")
    if strategy == "rag":
        if not raw.get("rag_key"):
            yield bad("rag_key", "strategy rag needs `rag_key` (where the documents are)")
        prompt = raw.get("user_prompt") or ""
        if isinstance(prompt, str) and "{rag}" not in prompt:
            yield bad("user_prompt", "strategy rag needs the {rag} placeholder in `user_prompt`")
    if strategy == "vqa" and not raw.get("image_key"):
        yield bad("image_key", "strategy vqa needs `image_key`")


def _check_turn_keys(
    raw: Mapping[str, Any], strategy: str, bad: Callable[..., Finding]
) -> Iterator[Finding]:
    sizes = {}
    for key in ("question_key", "answer_key"):
        value = raw.get(key)
        if value is None:
            yield bad(key, f"`{key}` is required for strategy {strategy}")
        elif isinstance(value, str):
            sizes[key] = 1
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            sizes[key] = len(value)
        else:
            yield bad(key, f"`{key}` must be a key name or a list of key names")
    if len(sizes) == 2 and len(set(sizes.values())) > 1:
        yield bad("answer_key", "`question_key` and `answer_key` lists must have the same length")


def _strategy(raw: Mapping[str, Any]) -> str | None:
    value = raw.get("strategy")
    # Phison's own example writes strategy: "QA".
    return value.lower() if isinstance(value, str) else None


def _resolve(data_path: str, config: Path) -> Path | None:
    """The dataset file relative to the config, a Hub id as is, or None when neither."""
    from sftprep.io import _looks_like_hub_id

    local = config.parent / data_path
    if local.exists():
        return local
    return Path(data_path) if _looks_like_hub_id(data_path) else None


def _build(raw: Mapping[str, Any], name: str | None, path: Path) -> ConfigEntry:
    def keys(value: Any) -> tuple[str, ...]:
        return (value,) if isinstance(value, str) else tuple(value or ())

    data_path = _resolve(raw["data_path"], path) or path.parent / raw["data_path"]
    return ConfigEntry(
        data_path=data_path,
        strategy=_strategy(raw) or "",
        name=name,
        question_keys=keys(raw.get("question_key")),
        answer_keys=keys(raw.get("answer_key")),
        system_prompt=raw.get("system_prompt") or None,
        user_prompt=raw.get("user_prompt") or DEFAULT_USER_PROMPT,
        rag_key=raw.get("rag_key") or None,
        image_key=raw.get("image_key") or None,
        label_key=raw.get("label_key"),
        exp_type=raw.get("exp_type"),
        text_key=raw.get("text") or DEFAULT_TEXT_KEY,
    )
