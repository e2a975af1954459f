"""Read Home Assistant's log: records with level and logger, and what appeared since a mark."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

OUR_LOGGERS = ("custom_components.loqed_bridge", "aioloqed")
RECORD = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) (?P<level>[A-Z]+) \((?P<thread>[^)]*)\) "
    r"\[(?P<logger>[^\]]+)\] (?P<message>.*)$"
)
LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
TRACEBACK = "Traceback (most recent call last)"


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One record of Home Assistant's log, with its continuation lines (tracebacks)."""

    time: str
    level: str
    logger: str
    message: str
    extra: tuple[str, ...] = ()

    @property
    def severity(self) -> int:
        """Numeric level (0 when unknown)."""
        return LEVELS.get(self.level, 0)

    @property
    def has_traceback(self) -> bool:
        """Whether a traceback follows the record."""
        return any(line.startswith(TRACEBACK) for line in self.extra)

    @property
    def ours(self) -> bool:
        """Whether the integration or its library wrote it."""
        return self.logger.startswith(OUR_LOGGERS)

    @property
    def text(self) -> str:
        """The record as it appears in the log."""
        return "\n".join([f"{self.time} {self.level} [{self.logger}] {self.message}", *self.extra])


def parse_records(text: str) -> list[LogRecord]:
    """Split a log into records; lines before the first record are dropped."""
    records: list[LogRecord] = []
    current: dict[str, str] | None = None
    extra: list[str] = []
    for line in text.splitlines():
        match = RECORD.match(line)
        if match is None:
            if current is not None:
                extra.append(line)
            continue
        if current is not None:
            records.append(_record(current, extra))
        current, extra = match.groupdict(), []
    if current is not None:
        records.append(_record(current, extra))
    return records


def _record(fields: dict[str, str], extra: list[str]) -> LogRecord:
    return LogRecord(
        time=fields["time"],
        level=fields["level"],
        logger=fields["logger"],
        message=fields["message"],
        extra=tuple(extra),
    )


def is_aiohttp_drain(lines: Sequence[str]) -> bool:
    """Say whether a traceback is aiohttp's server draining an unread request body.

    After a handler has answered, aiohttp reads what is left of the request body; when that body
    does not decompress it logs "Unhandled exception" from ``web_protocol.py``, in ``start``.
    The traceback may also show where the handler met the same error first.
    """
    last = max((i for i, line in enumerate(lines) if line.startswith(TRACEBACK)), default=None)
    if last is None:
        return False
    frames = [line.strip() for line in lines[last + 1 :] if line.strip().startswith("File ")]
    return bool(frames) and "web_protocol.py" in frames[0] and frames[0].endswith("in start")


def problems(records: Iterable[LogRecord]) -> list[LogRecord]:
    """Return records that report an error: ERROR or CRITICAL, or any record with a traceback."""
    return [r for r in records if r.severity >= LEVELS["ERROR"] or r.has_traceback]


def ours_at_least(records: Iterable[LogRecord], level: str) -> list[LogRecord]:
    """Return records of the integration or its library at ``level`` or above."""
    return [r for r in records if r.ours and r.severity >= LEVELS[level]]


def count_containing(records: Iterable[LogRecord], needle: str) -> int:
    """How many records mention ``needle`` (message or continuation lines)."""
    return sum(1 for r in records if needle in r.text)


class LogFile:
    """A growing log file; `mark` remembers where it ends, `since` reads what came after."""

    def __init__(self, path: Path) -> None:
        """Follow ``path`` (it may not exist yet)."""
        self.path = Path(path)

    def mark(self) -> int:
        """Return the current end of the file (0 if it does not exist)."""
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def since(self, mark: int = 0) -> str:
        """Return the text written after ``mark`` (all of it after a restart shortened it)."""
        try:
            with self.path.open("rb") as handle:
                size = handle.seek(0, 2)
                handle.seek(mark if mark <= size else 0)
                return handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def between(self, start: int, end: int) -> str:
        """Return the text written between two marks."""
        try:
            with self.path.open("rb") as handle:
                handle.seek(start)
                return handle.read(max(0, end - start)).decode("utf-8", errors="replace")
        except OSError:
            return ""

    def records_between(self, start: int, end: int) -> list[LogRecord]:
        """Return the records written between two marks."""
        return parse_records(self.between(start, end))

    def records_since(self, mark: int = 0) -> list[LogRecord]:
        """Return the records written after ``mark``."""
        return parse_records(self.since(mark))
