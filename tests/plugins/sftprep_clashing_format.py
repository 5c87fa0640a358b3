"""A plugin whose format takes a built-in format's name: refused in one line."""

from __future__ import annotations

from sftprep.formats.base import Format, register_format


@register_format
class NotAlpaca(Format):
    name = "alpaca"
    required = (("nothing",),)
