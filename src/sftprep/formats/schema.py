"""Shared key checks for adapters: missing-key and not-an-object.

Keys a format does not read are not findings per record: the conversation keeps
them (``metadata``) and the `unknown-key` rule reports each once per file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from sftprep.catalog import make_finding
from sftprep.findings import Finding
from sftprep.model import Location

if TYPE_CHECKING:
    from sftprep.formats.base import Format


def json_kind(value: Any) -> str:
    """The JSON name of a parsed value's type: ``string``, ``number``, ``array``, ``null``...

    >>> json_kind([1]), json_kind(None), json_kind(2.5)
    ('array', 'null', 'number')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def check_keys(fmt: Format, record: Any, location: Location) -> Iterator[Finding]:
    if not isinstance(record, Mapping):
        kind = json_kind(record)
        yield make_finding("not-an-object", f"record is a JSON {kind}, not an object", location)
        return
    for group in fmt.required:
        if not any(k in record for k in group):
            others = ", ".join(f"`{k}`" for k in group[1:])
            names = f"`{group[0]}`" + (f" (or {others})" if others else "")
            yield make_finding(
                "missing-key",
                f"required key {names} is missing",
                location,
                field=fmt.missing_key_field(group, record),
            )
