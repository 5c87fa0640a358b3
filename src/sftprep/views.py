"""How result objects show themselves in Jupyter and rich without importing report/.

All rendering lives in `sftprep.report`, above the layers that make the results
(`TokenStats` in tokens/, `Estimate` in estimate/). A result's ``_repr_html_`` or
``__rich__`` asks `show` for the view registered under its class name; `sftprep.report.views`
registers them, imported the first time a view is asked for.

>>> class Point:
...     def _repr_html_(self) -> str:
...         return show("html", self)
>>> VIEWS.add("Point.html", lambda p: "<b>point</b>")  # doctest: +ELLIPSIS
<function <lambda> at ...>
>>> Point()._repr_html_()
'<b>point</b>'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sftprep.registry import Registry

# "<class name>.<html|rich>" -> the function that renders an object of that class
VIEWS: Registry[Callable[[Any], Any]] = Registry("view", builtins=("sftprep.report.views",))


def show(kind: str, obj: Any) -> Any:
    """``obj`` rendered as ``kind`` (``"html"``: a string; ``"rich"``: a renderable)."""
    return VIEWS.get(f"{type(obj).__name__}.{kind}")(obj)
