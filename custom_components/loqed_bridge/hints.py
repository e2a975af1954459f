"""When to read the status after hints: soon, once more a little later, never too often.

A hint is a webhook whose content is not taken as state (unsigned, a byte-identical repeat, or
signed but late): something happened at the lock, and ``/status`` says what. The first read
should come quickly (the state is wanted within a second or two), a second one a few seconds
later (the bridge updates its status only after it has delivered its webhooks), and a flood of
hints (anyone on the network can send unsigned webhooks) must not flood the bridge.

Pure: the caller passes the (monotonic) time and runs the reads.
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from dataclasses import dataclass, field

from .const import (
    HINT_BUDGET_PERIOD,
    HINT_FIRST_DELAY,
    HINT_MIN_SPACING,
    HINT_READ_BUDGET,
    HINT_SECOND_DELAY,
)


@dataclass(slots=True)
class HintReads:
    """The status reads that hints ask for, rate-limited.

    * A hint wants a read ``first_delay`` after it and another ``second_delay`` after that one.
      A read already wanted at about that time serves both hints: for the first read from
      ``first_delay / 2`` earlier to ``spacing`` later, for the second ``spacing`` either way.
    * Two reads start at least ``spacing`` apart (any status read counts, not only hint reads).
    * At most ``budget`` hint reads per ``period``; after that, hints wait until the oldest read
      of the period has left it. Waiting hints collapse into one read, so nothing piles up.
    """

    first_delay: float = HINT_FIRST_DELAY
    second_delay: float = HINT_SECOND_DELAY
    spacing: float = HINT_MIN_SPACING
    budget: int = HINT_READ_BUDGET
    period: float = HINT_BUDGET_PERIOD
    _wanted: list[float] = field(default_factory=list)
    _reads: deque[float] = field(default_factory=deque)
    _last_read: float | None = None

    @property
    def pending(self) -> int:
        """How many reads are wanted and not done yet."""
        return len(self._wanted)

    def hint(self, now: float) -> None:
        """Ask for a read soon after ``now`` and another one a little later."""
        first = max(now + self.first_delay, self._earliest(now))
        first = self._want(first, first - self.first_delay / 2)
        second = first + self.second_delay
        self._want(second, second - self.spacing)

    def due(self, now: float) -> float | None:
        """When the next wanted read may start (``None``: nothing wanted)."""
        if not self._wanted:
            return None
        return max(self._wanted[0], self._earliest(now))

    def read_started(self, now: float, *, hint: bool) -> None:
        """Record a status read that starts now; it serves every read wanted until now.

        ``hint``: the read was started for hints, so it counts against the budget.
        """
        self._last_read = now
        wanted = self._wanted
        while wanted and wanted[0] <= now:
            wanted.pop(0)
        if hint:
            self._forget_old(now)
            self._reads.append(now)

    def clear(self) -> None:
        """Forget the wanted reads (the entry is unloaded)."""
        self._wanted.clear()

    def _earliest(self, now: float) -> float:
        """Return the earliest moment spacing and budget allow the next hint read to start."""
        earliest = now if self._last_read is None else self._last_read + self.spacing
        self._forget_old(now)
        if len(self._reads) >= self.budget:
            earliest = max(earliest, self._reads[0] + self.period)
        return earliest

    def _forget_old(self, now: float) -> None:
        reads = self._reads
        while reads and reads[0] <= now - self.period:
            reads.popleft()

    def _want(self, moment: float, earliest: float) -> float:
        """Want a read at ``moment``; return the read that serves (maybe one wanted already).

        One wanted from ``earliest`` to ``spacing`` after ``moment`` serves.
        """
        for wanted in self._wanted:
            if earliest <= wanted <= moment + self.spacing:
                return wanted
        insort(self._wanted, moment)
        return moment
