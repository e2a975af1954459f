"""Run the scenarios in order against one stack; collect the rows; never leave anything running."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import platform
import random
import time
from typing import TYPE_CHECKING, Final

from reliability.context import Context
from reliability.intervals import product_intervals
from reliability.model import Outcome, RunInfo, failed_to_run
from reliability.secrets_scan import Redactor
from reliability.stack import Stack

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from reliability.context import Settings
    from reliability.scenarios import Scenario

CLEAN_FAULTS: Final = {
    "bridge_down": False,
    "clock_offset": 0,
    "webhook_loss_rate": 0.0,
    "lose_next_webhooks": 0,
    "unsigned_webhooks": False,
    "latency_ms": 0,
}
REPORTED_INTERVALS: Final = (
    "HEALTHY_POLL_INTERVAL",
    "FALLBACK_POLL_INTERVAL",
    "RECONCILE_INTERVAL",
)
"""The integration's intervals named in the report (seconds)."""
BOUNDS_EXPLAINED: Final = {
    "MIN_HEALTHY_POLL_MINUTES": (
        "the shortest healthy poll interval the integration's options accept, in minutes, "
        "lowered with `HEALTHY_POLL_INTERVAL` so that saving the options form keeps the "
        "shortened interval"
    ),
}
"""Constants that are not intervals in seconds but may be set along with one."""


@dataclass(slots=True)
class RunResult:
    """Everything a run produced."""

    info: RunInfo
    outcomes: list[Outcome] = field(default_factory=list)
    redact: Callable[[str], str] = lambda text: text

    @property
    def passed(self) -> bool:
        """Whether every row passed (and there was at least one)."""
        return bool(self.outcomes) and all(o.passed for o in self.outcomes)


def line(outcome: Outcome, redact: Callable[[str], str]) -> str:
    """One progress line per row."""
    verdict = "ok  " if outcome.passed else "FAIL"
    return redact(f"{verdict} {outcome.scenario} ({outcome.seconds:.0f} s): {outcome.observed}")


async def reset(ctx: Context) -> None:
    """Switch the main bridge's faults off and bring Home Assistant in line (best effort)."""
    bridge = ctx.main.bridge
    if bridge.process is None or ctx.main not in ctx.stack.entries:
        return
    with contextlib.suppress(Exception):
        async with asyncio.timeout(20):
            await bridge.set_faults(**CLEAN_FAULTS)
            await ctx.resync()


def interval_facts(
    product: Mapping[str, float], overrides: Mapping[str, float]
) -> tuple[dict[str, float], dict[str, float], list[str]]:
    """Return the report's intervals, the overrides among them, and notes on the other overrides.

    Every override is named: intervals as "product -> in force" by the report, anything else
    (such as the options' lower bound of an interval) in a note.
    """
    intervals = {name: product[name] for name in REPORTED_INTERVALS if name in product}
    reported = {name: value for name, value in overrides.items() if name in intervals}
    notes = [
        f"Also set in the Home Assistant process: `{name}` "
        f"{product.get(name, float('nan')):g} -> {value:g} "
        f"({BOUNDS_EXPLAINED.get(name, 'a further constant of the integration')})."
        for name, value in sorted(overrides.items())
        if name not in reported
    ]
    return intervals, reported, notes


def budget_of(ctx: Context, scenario: Scenario) -> float:
    """Seconds the scenario may take: its budget plus the intervals in force it waits for."""
    return scenario.budget + sum(ctx.interval(name) for name in scenario.budget_intervals)


async def run_scenario(ctx: Context, scenario: Scenario) -> list[Outcome]:
    """Run one scenario within its budget; a crash or overrun becomes a failed row."""
    began = time.monotonic()
    budget = budget_of(ctx, scenario)
    try:
        async with asyncio.timeout(budget):
            rows = await scenario.run(ctx)
    except TimeoutError:
        rows = [_failed(scenario, f"took longer than {budget:g} s")]
    except Exception as err:  # noqa: BLE001 - reported as a failed row
        rows = [_failed(scenario, f"{type(err).__name__}: {err}")]
    took = time.monotonic() - began
    for row in rows:
        if not row.seconds:
            row.seconds = took / max(1, len(rows))
    return rows


def _failed(scenario: Scenario, error: str) -> Outcome:
    return failed_to_run(
        scenario.key, scenario.title, scenario.title, "the scenario's criteria", error
    )


async def run_suite(
    settings: Settings,
    scenarios: Sequence[Scenario],
    say: Callable[[str], None],
) -> RunResult:
    """Start the stack, run the scenarios, stop everything; return the rows."""
    intervals = product_intervals()
    reported, overridden, notes = interval_facts(intervals, settings.overrides)
    info = RunInfo(
        mode="quick" if settings.quick else "full",
        started=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        python=platform.python_version(),
        seed=settings.seed,
        intervals=reported,
        overrides=overridden,
        notes=notes,
    )
    result = RunResult(info)
    stack = Stack(settings.workdir, rng=random.Random(settings.seed), overrides=settings.overrides)  # noqa: S311
    began = time.monotonic()
    try:
        say("starting the bridge emulator and Home Assistant")
        main = await stack.start()
        info.home_assistant = str((await stack.hass.get("/api/config")).get("version"))
        result.redact = Redactor(stack.secrets())
        ctx = Context(stack, main, settings, intervals)
        for scenario in scenarios:
            say(f"{scenario.title} ...")
            rows = await run_scenario(ctx, scenario)
            result.redact = Redactor(stack.secrets())
            for row in rows:
                say(line(row, result.redact))
            result.outcomes.extend(rows)
            await reset(ctx)
    except Exception as err:  # noqa: BLE001 - the setup itself failed: one failed row
        result.outcomes.append(
            failed_to_run(
                "setup",
                "Setup",
                "start the emulator and Home Assistant, add the entry",
                "the stack starts",
                f"{type(err).__name__}: {err}",
            )
        )
    finally:
        await stack.stop()
        info.seconds = time.monotonic() - began
        result.redact = Redactor(stack.secrets())
    return result
