"""One atomic writer for every output: a temporary file beside the target, then a rename.

Every file sftprep writes (records, rejects, reports, per-record counts, companion
files, splits) goes through `Staged`: the target is checked first (not a directory,
not a pipe or a device, not an input, a name the file system takes), the data goes
to a hidden temporary file created with the permissions the umask gives, and only a
complete file replaces the target. A failure, Ctrl-C or SIGTERM removes the
temporary file; one left by a process killed outright (SIGKILL) is removed by the
next write beside it. `Outputs` stages several files and renames them together at
the end, so a command that fails on its second file keeps the first one's old
contents too.

>>> write_records("out.jsonl", [{"question": "q", "cot_answer": "a"}])
1
"""

from __future__ import annotations

import json
import math
import os
import pickle
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from sftprep.errors import UsageError
from sftprep.io.text import deep_dumps, os_reason, read_inputs
from sftprep.registry import Registry

BATCH = 2048  # records per spooled batch and per Parquet row group
TEMP_SUFFIX = ".sftprep.tmp"
_LIVE: set[str] = set()  # temporary files of this process, for the exit paths that remain


def live_temporaries() -> list[str]:
    """Temporary files being written now (removed by `remove_temporaries`)."""
    return sorted(_LIVE)


def remove_temporaries() -> None:
    """Remove every temporary file still open (a signal handler's last act)."""
    for tmp in list(_LIVE):
        with suppress(OSError):
            os.unlink(tmp)
        _LIVE.discard(tmp)


def check_target(path: str | Path, flag: str = "-o", inputs: Sequence[str | Path] = ()) -> None:
    """Refuse an output ``path`` that cannot be, or must not be, replaced by a file.

    A directory, a pipe, a device or a socket; a file that is one of ``inputs`` or that
    this process has read (also through a symbolic or hard link); a symbolic link loop;
    a name longer than the file system allows.
    """
    target = Path(path)
    what = f"{flag} {path}"
    limit = _name_max(target.parent)
    if len(os.fsencode(target.name)) > limit:
        raise UsageError(f"{what}: the file name is longer than {limit} bytes")
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise UsageError(f"{what}: {os_reason(exc)}") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise UsageError(f"{what} is a directory; give a file name")
        if not stat.S_ISREG(st.st_mode):
            raise UsageError(
                f"{what} is not a regular file (a pipe, a device or a socket); "
                "give the name of a file to write"
            )
        if (st.st_dev, st.st_ino) in read_inputs() | _ids(inputs):
            raise UsageError(f"{what} is an input file; the input is never modified")


def _ids(paths: Sequence[str | Path]) -> set[tuple[int, int]]:
    ids = set()
    for p in paths:
        try:
            st = os.stat(p)
        except (OSError, ValueError):
            continue
        ids.add((st.st_dev, st.st_ino))
    return ids


def _name_max(directory: Path) -> int:
    probe = directory
    while True:
        try:
            return int(os.pathconf(probe if str(probe) else ".", "PC_NAME_MAX"))
        except (OSError, ValueError):
            if probe.parent == probe:
                return 255
            probe = probe.parent


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class Staged:
    """One output being written: a temporary file that becomes ``path`` on `commit`.

    >>> staged = Staged("out.txt")
    >>> staged.file.write("hello"); staged.commit()
    5
    >>> Path("out.txt").read_text()
    'hello'
    """

    def __init__(
        self,
        path: str | Path,
        mode: str = "w",
        *,
        flag: str = "-o",
        inputs: Sequence[str | Path] = (),
    ) -> None:
        self.path = Path(path)
        self.done = False
        self.flag = flag
        self.inputs = tuple(inputs)
        check_target(self.path, flag, inputs)
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
            _sweep(directory, self.path.name)
            # A short prefix: the temporary name must fit where the target's name fits.
            prefix = f".{self.path.name[:40]}.{os.getpid()}."
            fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=TEMP_SUFFIX, dir=directory)
        except OSError as exc:
            raise UsageError(f"cannot write {flag} {path}: {os_reason(exc)}") from None
        _LIVE.add(tmp)
        self.tmp = tmp
        try:
            # mkstemp makes 0600; an output gets what any new file of the user gets.
            os.fchmod(fd, 0o666 & ~_umask())
            self.file: IO[Any] = (
                os.fdopen(fd, mode)
                if "b" in mode
                else os.fdopen(fd, mode, encoding="utf-8", newline="")
            )
        except BaseException:
            self.abort()
            raise

    def commit(self) -> None:
        """Close the temporary file and put it in place of the target."""
        try:
            self.file.close()
            # Checked again: reading may have started after this file was opened.
            check_target(self.path, self.flag, self.inputs)
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.abort()
            raise UsageError(f"cannot write {self.flag} {self.path}: {os_reason(exc)}") from None
        except BaseException:
            self.abort()
            raise
        _LIVE.discard(self.tmp)
        self.done = True

    def abort(self) -> None:
        """Close and remove the temporary file; the target keeps its old contents."""
        if self.done:
            return
        self.done = True
        with suppress(OSError, AttributeError):
            self.file.close()
        with suppress(OSError):
            os.unlink(self.tmp)
        _LIVE.discard(self.tmp)


def _sweep(directory: Path, name: str) -> None:
    """Remove temporary files of ``name`` left by processes that no longer run."""
    prefix = f".{name[:40]}."
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(TEMP_SUFFIX)):
            continue
        pid = entry.name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            with suppress(OSError):
                os.unlink(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


class Outputs:
    """Files that appear together: each is staged, and all are renamed at the end.

    Nothing replaces an old file until every new one is complete; leaving the ``with``
    block without `commit` removes them all.
    """

    def __init__(self) -> None:
        self.staged: list[Staged] = []

    def open(
        self,
        path: str | Path,
        mode: str = "w",
        *,
        flag: str = "-o",
        inputs: Sequence[str | Path] = (),
    ) -> Staged:
        staged = Staged(path, mode, flag=flag, inputs=inputs)
        self.staged.append(staged)
        return staged

    def commit(self) -> None:
        try:
            for staged in self.staged:
                staged.commit()
        finally:
            self.abort()
        self.staged = []

    def abort(self) -> None:
        for staged in self.staged:
            staged.abort()

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()


@contextmanager
def atomic_open(
    path: str | Path,
    mode: str = "w",
    *,
    flag: str = "-o",
    inputs: Sequence[str | Path] = (),
    outputs: Outputs | None = None,
) -> Iterator[IO[Any]]:
    """A file object for ``path``; on success it replaces ``path`` (or, with ``outputs``,
    is renamed with the others by ``outputs.commit()``)."""
    staged = (outputs.open if outputs else Staged)(path, mode, flag=flag, inputs=inputs)
    try:
        with staged.file:
            yield staged.file
    except BaseException:
        staged.abort()
        raise
    if outputs is None:
        staged.commit()


def write_records(
    path: str | Path,
    records: Iterable[dict[str, Any]],
    *,
    format_hint: str | None = None,
    flag: str = "-o",
    inputs: Sequence[str | Path] = (),
    outputs: Outputs | None = None,
) -> int:
    """Write ``records`` to ``path`` (.jsonl, .json, .csv, .tsv, .parquet); returns the count.

    The kind comes from the extension, or from ``format_hint`` (``"jsonl"`` or
    ``".jsonl"``) when given, e.g. for a path without one. ``flag`` names the option
    that gave the path in errors; ``inputs`` are files the output must not replace;
    with ``outputs`` the file is renamed into place by ``outputs.commit()``.
    """
    target = Path(path)
    kind = target.suffix if format_hint is None else "." + format_hint.lstrip(".")
    writer = WRITERS.find(kind.lower())
    if writer is None:
        known = ", ".join(sorted(WRITERS.names()))
        raise UsageError(f"{target}: cannot write {kind or '(no extension)'}; use {known}")
    opener = _Opener(flag, tuple(inputs), outputs)
    return writer(target, records, opener)


class _Opener:
    """How a writer opens its file: through `atomic_open` with the caller's settings."""

    def __init__(self, flag: str, inputs: tuple[str | Path, ...], outputs: Outputs | None) -> None:
        self.flag, self.inputs, self.outputs = flag, inputs, outputs

    def __call__(self, path: Path, mode: str = "w") -> Any:
        return atomic_open(path, mode, flag=self.flag, inputs=self.inputs, outputs=self.outputs)


_SURROGATE = re.compile("[\ud800-\udfff]")


def jsonable(value: Any) -> Any:
    """A JSON value for what a Parquet or Arrow column can hold besides JSON's types.

    Dates and times as ISO 8601 text, decimals as their exact text, bytes as text when
    they are UTF-8 (else base64), durations in seconds; NaN and infinities (which JSON
    cannot carry) as null; anything else as its ``str``.
    """
    import base64
    import datetime
    import decimal

    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value) if value.is_finite() else None
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(data).decode("ascii")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    return str(value)  # anything else: its text, rather than no output at all


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities (not JSON) replaced by null, at any depth."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _dumps(record: Any) -> str:
    try:
        text = json.dumps(record, ensure_ascii=False, allow_nan=False, default=jsonable)
    except ValueError:  # NaN or an infinity (from Parquet floats): null, as pandas writes it
        text = json.dumps(_finite(record), ensure_ascii=False, allow_nan=False, default=jsonable)
    except RecursionError:  # a record nested close to a thousand levels
        return deep_dumps(record, ensure_ascii=True)
    # A lone surrogate (valid as a JSON escape) cannot be encoded as UTF-8: keep it escaped.
    if not text.isascii() and _SURROGATE.search(text):
        return json.dumps(_finite(record), allow_nan=False, default=jsonable)
    return text


def json_text(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON text for a terminal or a pipe: UTF-8 where it can be, lone
    surrogates escaped, NaN and infinities as null (JSON has neither)."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, indent=indent, default=str)
    except ValueError:
        text = json.dumps(
            _finite(value), ensure_ascii=False, allow_nan=False, indent=indent, default=str
        )
    if not text.isascii() and _SURROGATE.search(text):
        return json.dumps(_finite(value), allow_nan=False, indent=indent, default=str)
    return text


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]], opener: _Opener) -> int:
    count = 0
    with opener(path) as fh:
        for record in records:
            fh.write(_dumps(record) + "\n")
            count += 1
    return count


def _write_json(path: Path, records: Iterable[dict[str, Any]], opener: _Opener) -> int:
    count = 0
    with opener(path) as fh:
        fh.write("[")
        for record in records:
            fh.write(("\n  " if count == 0 else ",\n  ") + _dumps(record))
            count += 1
        fh.write("\n]\n" if count else "]\n")
    return count


class _Spool:
    """Records parked in an unnamed temporary file (pickled batches) for a second pass.

    CSV needs every key for its header and Parquet one schema before the first row
    group, so both read the records twice; only one batch is in memory at a time.
    """

    def __init__(self, records: Iterable[dict[str, Any]], directory: Path) -> None:
        # Unnamed (unlinked at once on POSIX); closed by `close` or on failure below.
        self.file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
        self.keys: dict[str, None] = {}
        self.count = 0
        batch: list[dict[str, Any]] = []
        try:
            for record in records:
                self.keys.update(dict.fromkeys(record))
                batch.append(record)
                if len(batch) >= BATCH:
                    self._dump(batch)
                    batch = []
            if batch:
                self._dump(batch)
        except BaseException:
            self.file.close()
            raise

    def _dump(self, batch: list[dict[str, Any]]) -> None:
        pickle.dump(batch, self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += len(batch)

    def batches(self) -> Iterator[list[dict[str, Any]]]:
        self.file.seek(0)
        while True:
            try:
                yield pickle.load(self.file)
            except EOFError:
                return

    def close(self) -> None:
        self.file.close()


def _write_csv(
    path: Path, records: Iterable[dict[str, Any]], opener: _Opener, delimiter: str = ","
) -> int:
    import csv

    check_target(path, opener.flag, opener.inputs)
    spool = _Spool(records, path.parent)
    try:
        header = list(spool.keys)
        with opener(path) as fh:
            out = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
            out.writerow(header)
            for batch in spool.batches():
                out.writerows([_cell(row.get(k, "")) for k in header] for row in batch)
        return spool.count
    finally:
        spool.close()


def _cell(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return _dumps(value)
    if value is None:
        text = ""
    elif isinstance(value, (str, int, float)):
        text = str(value)
    else:
        text = str(jsonable(value))
    return _SURROGATE.sub("\ufffd", text) if not text.isascii() else text


def _write_parquet(path: Path, records: Iterable[dict[str, Any]], opener: _Opener) -> int:
    from sftprep.io.parquet import import_pyarrow

    pa = import_pyarrow()
    import pyarrow.parquet as pq

    check_target(path, opener.flag, opener.inputs)
    spool = _Spool(records, path.parent)
    try:
        keys = list(spool.keys)

        def table(batch: list[dict[str, Any]], schema: Any = None) -> Any:
            columns = {k: [row.get(k) for row in batch] for k in keys}
            return pa.Table.from_pydict(columns, schema=schema)

        try:  # one schema for all row groups: every batch's types, promoted together
            schemas = [table(batch).schema for batch in spool.batches()]
            schema = (
                pa.unify_schemas(schemas, promote_options="permissive")
                if schemas
                else pa.schema([])
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise UsageError(
                f"{path}: cannot write Parquet, a column holds values of different types ({exc})"
            ) from exc
        except UnicodeEncodeError as exc:
            raise UsageError(
                f"{path}: cannot write Parquet, a text holds a lone surrogate that UTF-8 "
                "cannot encode; write .jsonl instead"
            ) from exc
        with opener(path, "wb") as fh, pq.ParquetWriter(fh, schema) as writer:
            for batch in spool.batches():
                writer.write_table(table(batch, schema), row_group_size=BATCH)
        return spool.count
    finally:
        spool.close()


Writer = Callable[[Path, Iterable[dict[str, Any]], _Opener], int]

# Output extension -> the function writing records in that form.
WRITERS: Registry[Writer] = Registry("writer")
WRITERS.add(".jsonl", _write_jsonl)
WRITERS.add(".json", _write_json)
WRITERS.add(".csv", _write_csv)
WRITERS.add(".tsv", lambda path, records, opener: _write_csv(path, records, opener, "\t"))
WRITERS.add(".parquet", _write_parquet)


# --- sets of files that belong together (split's train/validation/test) ---------------------

SET_MANIFEST = ".sftprep-split.json"


def write_file_set(
    folder: Path,
    files: Sequence[tuple[Path, Iterable[dict[str, Any]]]],
    *,
    family: re.Pattern[str],
    about: dict[str, Any],
    inputs: Sequence[str | Path] = (),
) -> tuple[dict[str, int], list[str]]:
    """Write ``files`` into ``folder`` as one set; returns records per file name and the
    names of files of an earlier set that were removed.

    A folder never mixes two sets: every new file is complete before any old one is
    touched; files of the same ``family`` (names it matches) that the new set lacks are
    removed; and a hidden manifest says which files form the set and whether it was
    written to the end. Only a process killed outright between the renames leaves a
    manifest that says ``replacing``, and sftprep refuses to read that folder.
    """
    flag = f"-o {folder}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{flag}: cannot create the folder ({os_reason(exc)})") from None
    counts: dict[str, int] = {}
    with Outputs() as outputs:
        for path, records in files:
            counts[path.name] = write_records(
                path, records, flag=flag, inputs=inputs, outputs=outputs
            )
        protected = read_inputs() | _ids(inputs)  # an input named like a split file stays
        stale = sorted(
            entry.name
            for entry in os.scandir(folder)
            if family.fullmatch(entry.name)
            and entry.name not in counts
            and entry.is_file()
            and (entry.stat().st_dev, entry.stat().st_ino) not in protected
        )
        _write_manifest(folder, {**about, "state": "replacing", "files": counts, "removing": stale})
        for name in stale:
            try:
                os.unlink(folder / name)
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise UsageError(f"{flag}: cannot remove {name} ({os_reason(exc)})") from None
        outputs.commit()
    _write_manifest(folder, {**about, "state": "complete", "files": counts, "removed": stale})
    return counts, stale


def _write_manifest(folder: Path, document: dict[str, Any]) -> None:
    with atomic_open(folder / SET_MANIFEST, flag=f"-o {folder}") as fh:
        fh.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def unfinished_set(folder: Path) -> str | None:
    """Why the file set in ``folder`` must not be read (a write that did not finish), or None."""
    manifest = folder / SET_MANIFEST
    try:
        with open(manifest, encoding="utf-8") as fh:
            document = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("state") in (None, "complete"):
        return None
    return (
        f"the split written to {folder} was interrupted before it finished ({manifest.name} "
        "says so); its files may come from two different splits; run `sftprep split` again"
    )
