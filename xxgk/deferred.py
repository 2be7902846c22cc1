"""Modules imported on first use rather than when a library imports them.

Great Expectations imports ``scipy.stats`` and ``altair`` (~2.5 s of CPU together, about half of GX's import)
at its own import, for expectations this project never runs (KL divergence and Kolmogorov-Smirnov tests) and
their charts; both are used only inside those expectations' functions. ``defer`` puts a stand-in module in
their place before GX is imported: the first attribute read from it imports the real module (then every
reader gets the real module's attributes). Nothing else changes: code that uses them gets them, at the
moment it first does.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

GX_UNUSED = ("scipy.stats", "altair")  # what GX imports for expectations and charts this project never uses
_LOCK = threading.RLock()


class Deferred(types.ModuleType):
    """Stands for a module not imported yet; the first attribute read from it imports it."""

    def __getattr__(self, name: str) -> object:
        return getattr(load(self.__name__), name)

    def __dir__(self) -> list[str]:
        return dir(load(self.__name__))


def defer(names: tuple[str, ...] = GX_UNUSED) -> list[str]:
    """Put a ``Deferred`` stand-in in ``sys.modules`` for each module not imported yet (and findable);
    returns the names deferred now."""
    deferred = []
    with _LOCK:
        for name in names:
            if name in sys.modules:
                continue
            spec = importlib.util.find_spec(name)  # imports the parent package (scipy: light), not the module
            if spec is None:
                continue
            stand_in = Deferred(name)
            stand_in.__spec__ = spec
            stand_in.__file__ = spec.origin  # no ``__path__``: importing a submodule reads it, importing the module
            sys.modules[name] = stand_in
            _set_on_parent(name, stand_in)
            deferred.append(name)
    return deferred


def load(name: str) -> types.ModuleType:
    """The real module ``name``, imported now if its stand-in is still in its place."""
    with _LOCK:
        current = sys.modules.get(name)
        if current is not None and not isinstance(current, Deferred):
            return current
        sys.modules.pop(name, None)
        try:
            module = importlib.import_module(name)
        except BaseException:
            if current is not None:
                sys.modules[name] = current
            raise
        _set_on_parent(name, module)
        return module


def _set_on_parent(name: str, module: types.ModuleType) -> None:
    parent, _, child = name.rpartition(".")
    if parent and parent in sys.modules:
        setattr(sys.modules[parent], child, module)
