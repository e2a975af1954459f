"""What a scenario hands back: one row of the report, with the data behind it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class Outcome:
    """One row of the report: what was done, what should happen, what did happen.

    ``observed`` and ``passed`` are computed by the scenario from the same measurements (kept in
    ``data``), so the table can never say something the run did not see.
    """

    key: str
    """Stable identifier, e.g. ``forged`` or ``clock_60``."""
    scenario: str
    """Short name shown in the table."""
    done: str
    """What the run did."""
    expected: str
    """The pass criterion."""
    observed: str
    """What the run saw, from measurements."""
    passed: bool
    details: list[str] = field(default_factory=list)
    """Further observations, one line each (shown below the table)."""
    data: dict[str, Any] = field(default_factory=dict)
    """Measurements, JSON-ready (written to the JSON results)."""
    seconds: float = 0.0
    """How long the scenario took."""

    def to_json(self) -> dict[str, Any]:
        """Return the row as JSON-ready values."""
        return asdict(self)


def failed_to_run(key: str, scenario: str, done: str, expected: str, error: str) -> Outcome:
    """Return the row of a scenario that could not finish (it counts as failed)."""
    return Outcome(
        key=key,
        scenario=scenario,
        done=done,
        expected=expected,
        observed=f"the scenario could not finish: {error}",
        passed=False,
    )


@dataclass(slots=True)
class RunInfo:
    """Facts about the run as a whole, for the report's header."""

    mode: str
    """``full`` or ``quick``."""
    started: str
    """UTC time the run started, ISO 8601."""
    seconds: float = 0.0
    home_assistant: str = ""
    python: str = ""
    seed: int = 0
    intervals: dict[str, float] = field(default_factory=dict)
    """The integration's own intervals (seconds), read from its const.py."""
    overrides: dict[str, float] = field(default_factory=dict)
    """Intervals shortened for this run (seconds), applied in the Home Assistant process."""
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the run facts as JSON-ready values."""
        return asdict(self)
