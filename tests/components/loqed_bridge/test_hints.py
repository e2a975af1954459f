"""Status reads after hints: quick, a second one later, rate-limited (pure)."""

from __future__ import annotations

import itertools

import pytest

from custom_components.loqed_bridge.hints import HintReads


def run(hints: HintReads, until: float, *, hint_at: list[float]) -> list[float]:
    """Hint at the given moments; start each read when it is due; return the read starts.

    Never more than a few reads are wanted at a time, however many hints come.
    """
    reads: list[float] = []
    pending = sorted(hint_at)
    now = 0.0
    while now <= until:
        while pending and pending[0] <= now:
            hints.hint(pending.pop(0))
        assert hints.pending <= 8
        due = hints.due(now)
        if due is not None and due <= now:
            hints.read_started(now, hint=True)
            reads.append(now)
        now = round(now + 0.05, 2)
    return reads


def test_one_hint_gives_a_quick_read_and_a_second_one() -> None:
    assert run(HintReads(), 10, hint_at=[1.0]) == [1.5, 4.5]


def test_each_of_quick_operations_gets_its_own_quick_read() -> None:
    # Operations 1.5 s apart: each hint's state is read 0.5 s after it, not after a pause.
    reads = run(HintReads(), 12, hint_at=[0.0, 1.5, 3.0])
    assert [read for read in reads if read < 4] == [0.5, 2.0, 3.5]
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(reads))


def test_a_read_just_before_delays_the_next_to_the_spacing() -> None:
    hints = HintReads()
    hints.read_started(10.0, hint=False)  # a poll, for example
    hints.hint(10.2)
    assert hints.due(10.2) == pytest.approx(11.0)


def test_a_burst_of_hints_is_one_read_and_its_follow_up() -> None:
    reads = run(HintReads(), 10, hint_at=[1.0, 1.05, 1.1, 1.2])
    assert reads == [1.5, 4.5]


def test_a_flood_is_capped_and_nothing_piles_up() -> None:
    hints = HintReads()
    flood = [n / 10 for n in range(6000)]  # ten hints a second for ten minutes
    reads = run(hints, 600, hint_at=flood)
    assert len(reads) == 30  # the budget of ten minutes
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(reads))
    # The budget comes back as the first reads leave the ten minutes.
    later = run(hints, 700, hint_at=[])
    assert later[0] == pytest.approx(reads[0] + 600, abs=0.06)


def test_reads_for_other_reasons_serve_the_hint() -> None:
    hints = HintReads()
    hints.hint(0.0)
    hints.read_started(0.6, hint=False)  # a command check read the status meanwhile
    assert hints.due(0.6) == pytest.approx(3.5)
    hints.clear()
    assert hints.due(0.6) is None
