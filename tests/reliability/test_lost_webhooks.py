"""The "Lost webhooks" row: four observations, each with its own bound, and what fails it."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
from reliability.logs import LogFile
from reliability.scenarios.lost import (
    PUSH_WITHIN,
    SLACK,
    Measured,
    PushView,
    StatusReads,
    Step,
    assess,
    find_section,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

HEALTHY = 120.0
FALLBACK = 45.0


def measured(**changes: object) -> Measured:
    """A run in which the product met every bound."""
    good = Measured(
        healthy=HEALTHY,
        fallback=FALLBACK,
        product_healthy=600.0,
        before=PushView("off", True, HEALTHY),
        first=Step("knob day_lock", HEALTHY + SLACK, at=1000.0, latency=57.3, reads=[57.1]),
        after_first=PushView("on", False, FALLBACK),
        command=Step(
            "lock.lock",
            FALLBACK + SLACK,
            at=1060.0,
            latency=9.1,
            reads=[10.1],
            service_seconds=10.2,
        ),
        after_command=PushView("on", False, FALLBACK),
        further=Step("knob day_lock", FALLBACK + SLACK, at=1075.0, latency=31.0, reads=[31.2]),
        restored=Step("knob night_lock", PUSH_WITHIN, at=1110.0, latency=0.04),
        after_restored=PushView("off", True, HEALTHY),
        grace=20.0,
        quiet_before_first_read=58.4,
    )
    return replace(good, **changes)  # type: ignore[arg-type]


def test_a_run_within_every_bound_passes_and_says_why_the_first_change_waits() -> None:
    row = assess(measured())
    assert row.passed
    assert row.key == "lost"
    # The trade-off is said plainly, with the interval in force and the product's own.
    assert "healthy poll interval (2 min in this run, 10 min in the product, +3 s slack)" in (
        row.expected
    )
    assert "no heartbeat" in row.expected
    assert "at most 10 bridge requests an hour while push is healthy" in row.expected
    assert "fallback interval (45 s, +3 s)" in row.expected
    assert "by push within 2 s" in row.expected
    # Each observation is labelled and has its figure.
    assert row.observed.startswith(
        "1. before: push problem off, status read every 2 min; knob day_lock: shown 57.3 s "
        "after the bridge reached it; then push problem on, status read every 45 s"
    )
    assert (
        "2. lock.lock: shown 9.1 s after the bridge reached it (the service call took 10.2 s)"
        in (row.observed)
    )
    assert "3. before: push problem on, status read every 45 s; knob day_lock: shown 31.0 s" in (
        row.observed
    )
    assert "4. delivery back: knob night_lock: shown 0.040 s after" in row.observed
    assert row.observed.endswith("then push problem off, status read every 2 min")
    assert row.details[0].endswith(
        "1. knob day_lock: 57.1; 2. lock.lock: 10.1; 3. knob day_lock: 31.2; "
        "4. knob night_lock: none"
    )
    assert "came 58 s after the last webhook that got through" in row.details[1]
    assert row.data["first"]["latency"] == 57.3


def test_with_the_products_own_interval_the_row_says_so_once() -> None:
    row = assess(
        measured(
            healthy=600.0,
            before=PushView("off", True, 600.0),
            after_restored=PushView("off", True, 600.0),
        )
    )
    assert row.passed
    assert "healthy poll interval (10 min, +3 s slack)" in row.expected
    assert "in the product" not in row.expected


def late(step: Step) -> Step:
    return replace(step, latency=step.bound + 0.1)


FAILURES: dict[str, Callable[[Measured], Measured]] = {
    "push looked healthy before": lambda m: replace(m, before=PushView("on", False, FALLBACK)),
    "first change in time": lambda m: replace(m, first=late(m.first), resynced=True),
    "command in time": lambda m: replace(
        m, command=replace(m.command, error="HomeAssistantError: not confirmed")
    ),
    "push known unhealthy before step 3": lambda m: replace(
        m, after_command=PushView("on", False, HEALTHY)
    ),
    "further change in time": lambda m: replace(m, further=replace(m.further, latency=None)),
    "push back": lambda m: replace(m, after_restored=PushView("off", True, FALLBACK)),
}


@pytest.mark.parametrize("broken", sorted(FAILURES))
def test_a_missed_bound_fails_the_row_and_is_named(broken: str) -> None:
    row = assess(FAILURES[broken](measured()))
    assert not row.passed
    assert row.details[-1] == f"not met: {broken}"


def test_a_late_change_by_push_fails_too() -> None:
    row = assess(measured(restored=late(measured().restored)))
    assert not row.passed
    assert "not met: push back" in row.details


def test_a_first_read_inside_the_status_lag_grace_is_named_when_it_made_the_change_late() -> None:
    first = replace(measured().first, latency=130.0, reads=[8.0, 128.0])
    row = assess(measured(first=first, quiet_before_first_read=9.2))
    assert not row.passed
    assert "came 9 s after the last webhook that got through" in row.details[1]
    assert "within STATUS_LAG_GRACE (20 s)" in row.details[2]
    in_time = assess(measured(quiet_before_first_read=9.2))
    assert not any("STATUS_LAG_GRACE" in line for line in in_time.details)


def test_steps_say_what_happened() -> None:
    assert Step("knob x", 5.0, at=0.0, reached=False).text() == (
        "knob x: the lock never reached the state"
    )
    assert Step("knob x", 5.0, at=0.0).text() == "knob x: not shown within 5 s"
    assert not Step("knob x", 5.0, at=0.0).in_time
    assert Step("knob x", 5.0, at=0.0, latency=5.0).in_time
    assert "(TimeoutError: )" in Step("lock.lock", 5.0, at=0.0, error="TimeoutError: ").text()
    assert PushView().text() == "push problem unknown, status read every ?"
    row = assess(measured(resynced=True, quiet_before_first_read=None))
    assert any("brought the bridge back" in line for line in row.details)
    assert not any("got through" in line for line in row.details)


def test_diagnostics_sections_are_found_wherever_they_are() -> None:
    download = {"home_assistant": {}, "data": {"push": {"healthy": True}, "polling": {"x": 1}}}
    assert find_section(download, "push") == {"healthy": True}
    assert find_section(download, "polling") == {"x": 1}
    assert find_section([download], "push") is None
    assert find_section({"push": "not a mapping"}, "push") is None


def test_status_reads_are_taken_from_complete_log_lines(tmp_path: Path) -> None:
    path = tmp_path / "home-assistant.log"
    path.write_text("2026-01-01 00:00:00.000 DEBUG (x) [aioloqed.bridge] GET /status to bridge\n")
    reads = StatusReads(LogFile(path))
    reads.scan()
    assert reads.times == []  # written before the mark
    with path.open("a", encoding="utf-8") as handle:
        handle.write(
            "2026-01-01 00:00:01.000 DEBUG (x) [aioloqed.bridge] GET /status to bridge 1\n"
        )
        handle.write("2026-01-01 00:00:01.100 DEBUG (x) [aioloqed.bridge] GET /webhooks to b\n")
        handle.write("2026-01-01 00:00:02.000 DEBUG (x) [aioloqed.bridge] GET /sta")
    reads.scan()
    assert len(reads.times) == 1
    with path.open("a", encoding="utf-8") as handle:
        handle.write("tus to bridge 1\n")
    reads.scan()
    reads.scan()
    assert len(reads.times) == 2
    first = reads.times[0]
    assert reads.between(first - 1.0, first + 60.0)[0] == 1.0
    assert reads.between(first + 60.0, first + 120.0) == []
