"""How quantities read for people: hours, durations, shares and sizes. One format each.

The terminal, the HTML report and the notebook display all format through these
functions, so the same number reads the same everywhere. This module is part of the
base layer: it imports nothing from sftprep.

>>> hours(2.5), duration(0.25), percent(0.1234), gigabytes(48), size(114_000)
('2.5 h', '15.0 min', '12.3%', '48 GB', '114 KB')
"""

from __future__ import annotations

__all__ = ["duration", "gigabytes", "hours", "percent", "sig3", "size"]


def sig3(value: float) -> str:
    """``value`` to three significant digits, whole numbers from 100 up (with commas).

    >>> sig3(0.013456), sig3(2.5), sig3(99.94), sig3(1234.5)
    ('0.0135', '2.5', '99.9', '1,234')
    """
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def hours(value: float) -> str:
    """A number of hours: `sig3` and ``h``.

    >>> hours(0.0135), hours(2.5), hours(1234.5)
    ('0.0135 h', '2.5 h', '1,234 h')
    """
    return f"{sig3(value)} h"


def duration(value: float) -> str:
    """A time given in hours, in the unit that reads best: seconds below a tenth of a
    minute (never ``0.0 min``), minutes below an hour, then `hours`.

    >>> duration(1 / 3600), duration(48.4 / 3600), duration(0.5), duration(2.5)
    ('1.0 s', '0.8 min', '30.0 min', '2.5 h')
    """
    if value * 60 < 0.1:
        return f"{value * 3600:,.1f} s"
    if value < 1:
        return f"{value * 60:,.1f} min"
    return hours(value)


def percent(share: float, digits: int = 1) -> str:
    """A share (0..1) as a percentage with ``digits`` decimals.

    >>> percent(0.1234), percent(0.5, digits=0), percent(1)
    ('12.3%', '50%', '100.0%')
    """
    return f"{share:.{digits}%}"


def gigabytes(value: float) -> str:
    """Gigabytes to one decimal, without a trailing ``.0``, with commas.

    >>> gigabytes(4.53), gigabytes(48), gigabytes(931.32), gigabytes(1000), gigabytes(2.04)
    ('4.5 GB', '48 GB', '931.3 GB', '1,000 GB', '2 GB')
    """
    text = f"{value:,.1f}"
    return f"{text.removesuffix('.0')} GB"


def size(n_bytes: int) -> str:
    """A file size in decimal units: ``MB`` with one decimal from a million bytes, else
    whole ``KB``.

    >>> size(114_321), size(2_345_678), size(999)
    ('114 KB', '2.3 MB', '1 KB')
    """
    if n_bytes >= 1_000_000:
        return f"{n_bytes / 1_000_000:.1f} MB"
    return f"{n_bytes / 1000:.0f} KB"
