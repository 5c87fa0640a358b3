"""Structure rules: the ids the readers (``sftprep.io``) and format adapters emit.

They are documented here so that ``sftprep rules`` and ``docs/rules.md`` list every
id a finding can carry; their `check` does nothing. ``reader`` rules come from
parsing the file, ``schema`` rules from a format adapter's ``validate``.
"""

from __future__ import annotations

from sftprep.catalog.base import Rule, register_rule
from sftprep.findings import Severity


@register_rule
class JsonSyntax(Rule):
    """A line or record is not valid JSON.

    **What it does**
    Reports each JSON Lines line (or JSON file) the reader cannot parse, with the
    parser's message and position. Reading continues with the next line.

    **Why is this bad?**
    Most trainers' loaders (``datasets.load_dataset("json")``, the OpenAI upload
    check) stop at the first broken line, so one stray character fails the whole run.

    **Example**
    ```json
    {"messages": [{"role": "user", "content": "Hi"},]}
    ```

    **Fix**
    Repair or drop the line: remove trailing commas, quote keys, escape newlines
    inside strings, and keep exactly one JSON object per line.
    """

    id = "json-syntax"
    severity = Severity.ERROR
    scope = "reader"
    group = "structure"
    hint = "fix the JSON on this line (one complete object per line)"


@register_rule
class DuplicateKey(Rule):
    """A JSON object holds the same key twice.

    **What it does**
    Reports JSON Lines records in which an object (the record, a message, a tool
    call...) repeats a key, naming the key.

    **Why is this bad?**
    JSON parsers keep one of the values, most the last, silently: the text of the other
    is never trained, and another tool may keep the other one.

    **Example**
    ```json
    {"instruction": "Say hi", "output": "Hi!", "output": "Hello there!"}
    ```

    **Fix**
    Keep one value per key (rename the other if it is meant to be read).
    """

    id = "duplicate-key"
    severity = Severity.WARNING
    scope = "reader"
    group = "structure"
    hint = "keep one value per key; the parser keeps only the last"


@register_rule
class EmptyDataset(Rule):
    """The file holds no records at all.

    **What it does**
    Reports a file that is empty, holds only blank lines, or is an empty JSON array
    or wrapper (``[]``, ``{"data": []}``). A file whose lines all fail to parse is not
    empty: those lines are `json-syntax` records.

    **Why is this bad?**
    A trainer given an empty file fails at start-up, or worse, trains on the other
    files of a mix without a word; an export that silently wrote nothing is a bug
    upstream.

    **Example**
    ```json
    []
    ```

    A warning, not an error: nothing in the file is wrong, and `fix` legitimately
    writes an empty file when it rejects every record.

    **Fix**
    Check the export or the path: point at the file that holds the data.
    """

    id = "empty-dataset"
    severity = Severity.WARNING
    scope = "reader"
    group = "structure"
    hint = "check the export or the path: this file holds no records"


@register_rule
class UnreadableFile(Rule):
    """One file of several could not be read at all.

    **What it does**
    When ``check`` (or ``report``) is given several files, a file it cannot read as
    a dataset (an extension no reader knows, records in no format sftprep
    recognises, a path that does not exist) is reported here, with the reason, and
    the other files are still checked. A single file that cannot be read is a
    one-line error instead (exit 2).

    **Why is this bad?**
    The file is not in the dataset the trainer will see, or the trainer will fail on
    it; either way the mix is not what it looks like.

    **Example**
    ```json
    {"premise": "A man sleeps.", "hypothesis": "A person rests.", "target": "entailment"}
    ```

    **Fix**
    Pass ``--format`` for that file, convert it, or leave it out of the mix.
    """

    id = "unreadable-file"
    severity = Severity.ERROR
    scope = "reader"
    group = "structure"
    hint = "pass --format, convert the file, or leave it out"


@register_rule
class InvalidUtf8(Rule):
    """The file is not valid UTF-8.

    **What it does**
    Reports lines (or records) holding bytes that do not decode as UTF-8, for
    example text saved as Latin-1 or Windows-1252.

    **Why is this bad?**
    JSON must be UTF-8; loaders either crash or silently replace the bytes with
    U+FFFD, teaching the model garbage characters.

    **Example**
    ```json
    {"instruction": "Caf\\xe9 menu", "output": "..."}
    ```
    (``\\xe9`` here stands for a raw Latin-1 byte in the file.)

    **Fix**
    Re-encode the file: ``iconv -f cp1252 -t utf-8 in.jsonl > out.jsonl``.
    """

    id = "invalid-utf8"
    severity = Severity.ERROR
    scope = "reader"
    group = "structure"
    hint = "re-encode the file as UTF-8 (e.g. iconv -f cp1252 -t utf-8)"


@register_rule
class CsvShape(Rule):
    """A CSV/TSV row has a different number of cells than the header.

    **What it does**
    Reports rows with more or fewer cells than the header line, usually from an
    unquoted delimiter or newline inside a field. Also reports a header that repeats
    a column name (the later cell wins), a quoted field still open at the end of the
    file, and a ``.csv`` separated by ``;``, tabs or ``|`` (read with that separator,
    as a warning: loaders that expect commas see one column).

    **Why is this bad?**
    Cells shift into the wrong columns: an answer ends up in ``input`` or is cut in
    half, and the loader may drop or misread the row.

    **Example**
    ```json
    {"header": ["instruction", "input", "output"], "row": ["Add 2, 3", "", "5", "extra"]}
    ```

    **Fix**
    Quote every field that contains the delimiter, a quote or a newline (write the
    file with ``csv.writer`` or ``pandas.to_csv``), or convert to JSON Lines.
    """

    id = "csv-shape"
    severity = Severity.ERROR
    scope = "reader"
    group = "structure"
    hint = "quote fields containing delimiters or newlines, or convert to JSON Lines"


@register_rule
class NotAnObject(Rule):
    """A record is not a JSON object.

    **What it does**
    Reports records that are a list, string, number or null where the format
    expects an object with named fields.

    **Why is this bad?**
    Every SFT format is keyed by field names; a bare list or string cannot be mapped
    to a prompt and a response, and loaders either crash or skip it.

    **Example**
    ```json
    ["What is 2+2?", "4"]
    ```

    **Fix**
    Wrap the values in an object with the format's keys, e.g.
    ``{"instruction": "What is 2+2?", "output": "4"}``.
    """

    id = "not-an-object"
    severity = Severity.ERROR
    scope = "schema"
    group = "structure"
    hint = "make every record a JSON object with the format's keys"


@register_rule
class MissingKey(Rule):
    """A required key of the format is absent.

    **What it does**
    Reports records lacking a key the detected (or given) format requires, such as
    ``question`` or ``cot_answer`` for QA, ``output`` for Alpaca, ``messages`` for
    chat data or ``role``/``content`` inside a message.

    **Why is this bad?**
    The trainer's formatting function raises ``KeyError`` or, worse, renders the
    literal ``None`` into the prompt.

    **Example**
    ```json
    {"question": "What does RAFT stand for?"}
    ```

    **Fix**
    Add the key (with real text), rename a misspelt key, or pass ``--format`` if the
    file was detected as the wrong format.
    """

    id = "missing-key"
    severity = Severity.ERROR
    scope = "schema"
    group = "structure"
    hint = "add the required key, rename a misspelt one, or pass --format"


@register_rule
class WrongType(Rule):
    """A field has the wrong JSON type.

    **What it does**
    Reports fields whose type does not match the format: ``messages`` that is not a
    list, a ``content`` that is a number, ``tool_calls`` that is an object, a
    ``tools`` value that is neither a list nor JSON text of one.

    **Why is this bad?**
    Templates and tokenizers expect strings and lists; other types crash the
    loader or are stringified into the training text.

    **Example**
    ```json
    {"messages": {"role": "user", "content": "Hi"}}
    ```

    **Fix**
    Convert the value to the expected type (wrap a single message in a list, write
    numbers as strings, ``json.loads`` a JSON-encoded list).
    """

    id = "wrong-type"
    severity = Severity.ERROR
    scope = "schema"
    group = "structure"
    hint = "convert the value to the type the format expects"


@register_rule
class ConfigInvalid(Rule):
    """An aiDAPTIV+ dataset config (YAML) is invalid.

    **What it does**
    Reports YAML syntax errors, missing or unknown config keys, unknown strategies
    and data paths that do not exist in a ``--config`` file.

    **Why is this bad?**
    The config decides how records become prompts; an invalid one fails the job
    after the queue wait, or converts every record the wrong way.

    **Example**
    ```json
    {"dataset": {"strategy": "qna", "data_path": "missing.jsonl"}}
    ```

    **Fix**
    Correct the key or value named in the message; ``sftprep check --config`` re-checks
    the config before any data.
    """

    id = "config-invalid"
    severity = Severity.ERROR
    scope = "schema"
    group = "structure"
    hint = "correct the config key or value named in the message"


@register_rule
class ConfigIgnored(Rule):
    """A training config sets something that does not apply to this run.

    **What it does**
    Reports settings of an aiDAPTIV+ project (``--aidaptiv-env``) that the run will not
    use: LoRA weight, optimizer or output paths in ``env_config.yaml`` while
    ``run_settings.lora.enable_lora`` is false.

    **Why is this bad?**
    The author expects the setting to act (resume from an adapter, save one) and it
    silently does not; the run trains something else than intended.

    **Example**
    ```json
    {"path_settings": {"lora": {"lora_weight": "adapters/run1"}}}
    ```

    **Fix**
    Turn the feature on (``enable_lora: true``) or empty the setting (``""``).
    """

    id = "config-ignored"
    severity = Severity.WARNING
    scope = "schema"
    group = "structure"
    hint = "turn the feature on, or empty the setting so the config says what runs"


@register_rule
class MixedFormat(Rule):
    """A record is in another format than the rest of the file.

    **What it does**
    When the format was detected (not given with ``--format``), reports each record
    that lacks the detected format's required keys but has all the keys of another
    format: a ShareGPT ``conversations`` row in an OpenAI ``messages`` file, a Dolly
    ``response`` row among Alpaca ``output`` rows. The record is then read in its own
    format, so the other rules still check its text (instead of a cascade of
    ``missing-key`` and ``no-assistant-turn`` findings).

    **Why is this bad?**
    Trainers read a file with one format: the odd rows load with empty prompts or
    answers (columns filled with null) or make the loader fail on a schema mismatch.

    **Example**
    ```json
    {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]}
    ```
    (in a file whose other records are ``{"messages": [...]}``)

    **Fix**
    Convert the odd records to the file's format (``sftprep convert --to FORMAT``
    on them), or keep each format in its own file.
    """

    id = "mixed-format"
    severity = Severity.ERROR
    scope = "schema"
    group = "structure"
    hint = "convert the record to the file's format, or keep each format in its own file"
