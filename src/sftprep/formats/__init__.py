"""Format adapters: each module registers one format (see `sftprep.formats.base`).

The registry imports every module of this package the first time it is asked for a
format, so a new format is one new module here (or a plugin's).
"""

from sftprep.formats.base import FORMATS, Format, get_format, list_formats, register_format

__all__ = ["FORMATS", "Format", "get_format", "list_formats", "register_format"]
