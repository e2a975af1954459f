"""Read the integration's intervals from its const.py, without importing Home Assistant.

The suite's criteria speak of "one poll interval" or "one reconcile interval": they take the
values from the product itself, so the report stays right when the product changes them.
"""

from __future__ import annotations

import ast
from pathlib import Path

CONST_PATH = (
    Path(__file__).resolve().parent.parent / "custom_components" / "loqed_bridge" / "const.py"
)
_TIMEDELTA_UNITS = {
    "days": 86400.0,
    "hours": 3600.0,
    "minutes": 60.0,
    "seconds": 1.0,
    "milliseconds": 0.001,
}


def _seconds(node: ast.expr) -> float | None:
    """Seconds of ``timedelta(...)`` with literal keywords, or of a literal number."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "timedelta":
        total = 0.0
        for keyword in node.keywords:
            if keyword.arg not in _TIMEDELTA_UNITS:
                return None
            try:
                value = ast.literal_eval(keyword.value)
            except ValueError:
                return None
            if not isinstance(value, int | float):
                return None
            total += float(value) * _TIMEDELTA_UNITS[keyword.arg]
        return total if not node.args else None
    value = node.value if isinstance(node, ast.Constant) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def read_intervals(source: str) -> dict[str, float]:
    """Return every upper-case module constant that is a number or a ``timedelta``, in seconds."""
    found: dict[str, float] = {}
    for statement in ast.parse(source).body:
        target: ast.expr
        if isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id.isupper():
            seconds = _seconds(value)
            if seconds is not None:
                found[target.id] = seconds
    return found


def product_intervals(path: Path = CONST_PATH) -> dict[str, float]:
    """Read the integration's const.py."""
    return read_intervals(path.read_text(encoding="utf-8"))
