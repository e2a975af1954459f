"""The scenarios, in the order a run takes them, and which of them the quick subset runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from reliability.scenarios import (
    clock,
    commands,
    forged,
    ip_change,
    lost,
    outage,
    reboot,
    removal,
    replay,
    restarts,
    secrets,
    unsigned,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from reliability.context import Context
    from reliability.model import Outcome


@dataclass(frozen=True, slots=True)
class Scenario:
    """One step of a run: a coroutine that returns report rows."""

    key: str
    title: str
    run: Callable[[Context], Awaitable[list[Outcome]]]
    quick: bool
    budget: float
    """Seconds it may take at most, plus ``budget_intervals``; it fails when it takes longer."""
    budget_intervals: tuple[str, ...] = ()
    """The integration's intervals (values in force) it waits for, added to ``budget``."""


SCENARIOS: Final = (
    Scenario("forged", "Forged webhooks", forged.run, quick=True, budget=300),
    Scenario("replay", "Replay", replay.run, quick=True, budget=180),
    Scenario("clock", "Clock skew", clock.run, quick=True, budget=180),
    Scenario("unsigned", "Webhooks without TIMESTAMP", unsigned.run, quick=True, budget=180),
    Scenario("concurrent", "Concurrent commands", commands.run_concurrent, quick=True, budget=120),
    Scenario("burst", "Burst", commands.run_burst, quick=True, budget=240),
    Scenario(
        "lost",
        "Lost webhooks",
        lost.run,
        quick=False,
        budget=150,
        budget_intervals=lost.WAITS_FOR,
    ),
    Scenario("reboot", "Bridge reboot forgetting webhooks", reboot.run, quick=False, budget=900),
    Scenario("bridge_down_30", "Bridge down 30 s", outage.run_short, quick=False, budget=180),
    Scenario("bridge_down_300", "Bridge down 5 min", outage.run_long, quick=False, budget=480),
    Scenario("ip_change", "IP change", ip_change.run, quick=False, budget=120),
    Scenario("restarts", "Reloads and restarts", restarts.run, quick=False, budget=600),
    Scenario(
        "diagnostics", "Diagnostics download", secrets.collect_diagnostics, quick=True, budget=60
    ),
    Scenario(
        "removal", "Removal while the bridge is offline", removal.run, quick=False, budget=120
    ),
    Scenario("secrets", "Secrets", secrets.run, quick=True, budget=120),
)


def selected(*, quick: bool, only: set[str] | None = None) -> list[Scenario]:
    """Return the scenarios of a run, in order."""
    chosen = [s for s in SCENARIOS if s.quick or not quick]
    if only:
        unknown = only - {s.key for s in SCENARIOS}
        if unknown:
            raise ValueError(f"unknown scenario(s): {', '.join(sorted(unknown))}")
        chosen = [s for s in SCENARIOS if s.key in only]
    return chosen
