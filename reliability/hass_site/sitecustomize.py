"""Shorten some of the integration's intervals inside the Home Assistant process of a run.

The reliability suite puts this directory first on ``PYTHONPATH`` of the Home Assistant process
it starts (never of anything else) and names the overrides in ``LOQED_RELIABILITY_OVERRIDES``
(JSON: constant name -> seconds). Python imports ``sitecustomize`` at start-up; this one installs
an import hook that, right after ``custom_components.loqed_bridge.const`` has run, replaces those
constants (a ``timedelta`` stays a ``timedelta``). The integration's modules import the constants
from ``const`` afterwards, so they see the shortened values. Nothing else changes, and a line on
stderr (Home Assistant's stdout.log) records what was set.
"""

from __future__ import annotations

from datetime import timedelta
import importlib.abc
import importlib.machinery
import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from types import ModuleType

TARGET = "custom_components.loqed_bridge.const"
ENVIRONMENT = "LOQED_RELIABILITY_OVERRIDES"


def apply_overrides(module: ModuleType, overrides: dict[str, float]) -> list[str]:
    """Set each named constant of ``module``; return ``NAME=value`` for each one set."""
    applied: list[str] = []
    for name, seconds in overrides.items():
        current = getattr(module, name, None)
        if isinstance(current, timedelta):
            value: Any = timedelta(seconds=seconds)
        elif isinstance(current, int | float) and not isinstance(current, bool):
            value = type(current)(seconds)
        else:
            continue
        setattr(module, name, value)
        applied.append(f"{name}={value}")
    return applied


class _PatchingLoader(importlib.abc.Loader):
    """Run the real loader, then apply the overrides."""

    def __init__(
        self, loader: importlib.abc.Loader, overrides: dict[str, float], name: str
    ) -> None:
        self._loader = loader
        self._overrides = overrides
        self._name = name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        applied = apply_overrides(module, self._overrides)
        sys.stderr.write(
            f"reliability: accelerated {self._name}: {', '.join(applied) or 'nothing'}\n"
        )


class _Finder(importlib.abc.MetaPathFinder):
    """Find the integration's const module as usual and wrap its loader."""

    def __init__(self, overrides: dict[str, float], target: str = TARGET) -> None:
        self._overrides = overrides
        self._target = target

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self._target:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader, self._overrides, fullname)
        return spec


def install(environ: Mapping[str, str] = os.environ, target: str = TARGET) -> bool:
    """Install the hook when the environment names overrides; return whether it did."""
    raw = environ.get(ENVIRONMENT)
    if not raw:
        return False
    overrides = {str(name): float(value) for name, value in json.loads(raw).items()}
    sys.meta_path.insert(0, _Finder(overrides, target))
    return True


install()
