"""One registry style for every kind of pluggable unit: formats, rules, readers, writers,
repairs, tokenizer backends, targets, task templates and estimate tables.

A `Registry` maps names to things. An entry is added three ways:

- ``add(name, thing)``: the thing itself (a class, a function, an object);
- ``register(name, factory)``: a callable that builds the thing on first `get`;
- ``lazy(name, "module:attr")``: imported on first `get`, so that listing names (for
  ``--help`` and the docs) costs no import of what they name.

A registry may also name the modules that hold its built-in entries (``builtins``): a
package's every module, or single modules, imported the first time the registry is asked
for what it holds, each registering itself at import. Adding a built-in unit is then one
module dropped in that package, and no list to edit. Units from outside the package come
the same way from *plugins*: the modules named by the ``sftprep.plugins`` entry point
group and by the ``SFTPREP_PLUGINS`` environment variable (comma-separated module names),
imported once before any registry lists its names.

Duplicates raise; an unknown name's error lists the known ones.

>>> colors = Registry[str]("color")
>>> colors.register("red", lambda: "#f00")
>>> colors.add("green", "#0f0")
'#0f0'
>>> colors.lazy("sep", "os:sep")
>>> colors.get("red"), colors.get("green"), colors.get("sep")
('#f00', '#0f0', '/')
>>> colors.names()
['red', 'green', 'sep']
>>> colors.get("blue")
Traceback (most recent call last):
...
sftprep.errors.UsageError: unknown color 'blue'; known: green, red, sep
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

from sftprep.errors import SftprepError, UsageError

T = TypeVar("T")

PLUGIN_GROUP = "sftprep.plugins"
PLUGIN_ENV = "SFTPREP_PLUGINS"

_plugins_loaded = False


class DuplicateName(SftprepError, ValueError):
    """Two units registered under one name (a plugin's and a built-in's, say): a broken
    installation, not a problem with the file at hand, so no reader turns it into a finding."""


def load_plugins() -> None:
    """Import every plugin module once (entry points, then ``SFTPREP_PLUGINS``); each
    registers its units at import. A plugin that fails to import is a one-line error."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from importlib.metadata import entry_points

    names = [ep.value for ep in entry_points(group=PLUGIN_GROUP)]
    names += [n.strip() for n in os.environ.get(PLUGIN_ENV, "").split(",") if n.strip()]
    for name in names:
        try:
            importlib.import_module(name.split(":")[0])
        except Exception as exc:
            raise UsageError(f"plugin {name!r} failed to import: {exc}") from None


def import_target(spec: str) -> object:
    """The object ``"package.module:attr"`` names (``attr`` may be dotted)."""
    module, _, attr = spec.partition(":")
    found: object = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        found = getattr(found, part)
    return found


class Registry(Generic[T]):
    """Named things of one kind; each is built (or imported) on first `get` and cached."""

    def __init__(self, kind: str, *, builtins: Iterable[str] = ()) -> None:
        self.kind = kind
        self._builtins = tuple(builtins)
        self._discovered = not self._builtins
        self._factories: dict[str, Callable[[], T]] = {}
        self._built: dict[str, T] = {}

    # -- adding -------------------------------------------------------------------------

    def register(self, name: str, factory: Callable[[], T]) -> None:
        """Add ``name``, built by ``factory()`` on first `get`."""
        if name in self._factories:
            raise DuplicateName(f"{self.kind} {name!r} is already registered")
        self._factories[name] = factory

    def add(self, name: str, thing: T) -> T:
        """Add ``name`` as ``thing`` itself; returns it (usable in a decorator)."""
        self.register(name, lambda: thing)
        self._built[name] = thing
        return thing

    def lazy(self, name: str, spec: str) -> None:
        """Add ``name`` as the object ``"module:attr"`` names, imported on first `get`."""
        self.register(name, lambda: import_target(spec))  # type: ignore[arg-type, return-value]

    # -- asking -------------------------------------------------------------------------

    def get(self, name: str) -> T:
        """The thing called ``name``; an unknown name is a `UsageError` listing the known."""
        if name not in self._factories:
            self._discover()
        if name not in self._factories:
            known = ", ".join(sorted(self._factories)) or "none"
            raise UsageError(f"unknown {self.kind} {name!r}; known: {known}")
        if name not in self._built:
            self._built[name] = self._factories[name]()
        return self._built[name]

    def find(self, name: str) -> T | None:
        """The thing called ``name``, or None."""
        return self.get(name) if name in self else None

    def names(self) -> list[str]:
        """Every name, built-ins and plugins included, in registration order."""
        self._discover()
        return list(self._factories)

    def items(self) -> Iterator[tuple[str, T]]:
        """Every (name, thing), each built on the way."""
        for name in self.names():
            yield name, self.get(name)

    def __getitem__(self, name: str) -> T:
        """``registry[name]`` is `get` (a table reads like the dict it replaces)."""
        return self.get(name)

    def keys(self) -> list[str]:
        return self.names()

    def values(self) -> list[T]:
        return [self.get(name) for name in self.names()]

    def __contains__(self, name: object) -> bool:
        if name not in self._factories:
            self._discover()
        return name in self._factories

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    # -- built-ins and plugins ----------------------------------------------------------

    def _discover(self) -> None:
        if self._discovered:
            load_plugins()
            return
        self._discovered = True  # before importing: a module may ask for names
        for module in self._builtins:
            _import_all(module)
        load_plugins()


def _import_all(name: str) -> None:
    """Import module ``name``, and every module of it when it is a package."""
    module = importlib.import_module(name)
    for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
        importlib.import_module(f"{name}.{info.name}")
