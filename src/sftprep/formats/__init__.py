"""Format adapters: each module registers one format (see `sftprep.formats.base`)."""

from sftprep.formats import (  # noqa: F401  (each import registers a format)
    alpaca,
    dolly,
    gemini,
    messages,
    preference,
    prompt_completion,
    prompts,
    qa,
    sharegpt,
    tasks,
    text,
)
from sftprep.formats.base import FORMATS, Format, get_format, list_formats, register_format

__all__ = ["FORMATS", "Format", "get_format", "list_formats", "register_format"]
