"""Home Assistant log parsing, log marks, and the intervals read from the integration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reliability.intervals import product_intervals, read_intervals
from reliability.logs import (
    LogFile,
    count_containing,
    is_aiohttp_drain,
    ours_at_least,
    parse_records,
    problems,
)

if TYPE_CHECKING:
    from pathlib import Path

LOG = """\
preamble line
2026-01-01 00:00:00.000 INFO (MainThread) [custom_components.loqed_bridge] up
2026-01-01 00:00:01.000 DEBUG (MainThread) [aioloqed] GET /status
2026-01-01 00:00:02.000 ERROR (MainThread) [homeassistant.components.webhook] Error processing
Traceback (most recent call last):
  File "x.py", line 1
ValueError: boom
2026-01-01 00:00:03.000 WARNING (MainThread) [aioloqed.bridge] slow
2026-01-01 00:00:04.000 INFO (SyncWorker_0) [homeassistant.setup] Handler is already defined
"""


def test_records_levels_and_tracebacks() -> None:
    records = parse_records(LOG)
    assert [r.level for r in records] == ["INFO", "DEBUG", "ERROR", "WARNING", "INFO"]
    assert records[2].has_traceback
    assert records[2].extra[-1] == "ValueError: boom"
    assert [r.logger for r in problems(records)] == ["homeassistant.components.webhook"]
    assert [r.message for r in ours_at_least(records, "INFO")] == ["up", "slow"]
    assert count_containing(records, "Handler is already defined") == 1
    assert "Traceback" in records[2].text


def test_log_file_marks(tmp_path: Path) -> None:
    log = LogFile(tmp_path / "home-assistant.log")
    assert log.mark() == 0
    assert log.since() == ""
    log.path.write_text("2026-01-01 00:00:00.000 INFO (M) [a] one\n", encoding="utf-8")
    mark = log.mark()
    with log.path.open("a", encoding="utf-8") as handle:
        handle.write("2026-01-01 00:00:01.000 INFO (M) [a] two\n")
    end = log.mark()
    assert [r.message for r in log.records_since(mark)] == ["two"]
    assert [r.message for r in log.records_between(0, mark)] == ["one"]
    assert log.between(mark, end).endswith("two\n")
    assert [r.message for r in log.records_since(end + 1000)] == ["one", "two"]  # rotated


def test_intervals_from_source() -> None:
    source = """
from datetime import timedelta
A: Final = timedelta(minutes=2, seconds=3)
B = 4.5
C: Final = "text"
d = 3
E = timedelta(weeks=1)
F = timedelta(seconds=x)
"""
    assert read_intervals(source) == {"A": 123.0, "B": 4.5}


def test_the_integrations_intervals_are_read() -> None:
    intervals = product_intervals()
    for name in ("FALLBACK_POLL_INTERVAL", "RECONCILE_INTERVAL", "DEFAULT_TIMESTAMP_WINDOW"):
        assert intervals[name] > 0


def test_aiohttp_draining_a_bad_body_is_told_apart() -> None:
    drain = [
        "Traceback (most recent call last):",
        '  File "/x/aiohttp/http_parser.py", line 999, in feed_data',
        "zlib.error: Error -3",
        "",
        "The above exception was the direct cause of the following exception:",
        "",
        "Traceback (most recent call last):",
        '  File "/x/aiohttp/web_protocol.py", line 599, in start',
        '  File "/x/custom_components/loqed_bridge/push.py", line 158, in _async_read',
        "aiohttp.web_protocol.RequestPayloadError: 400",
    ]
    handler = [
        "Traceback (most recent call last):",
        '  File "/x/aiohttp/web_protocol.py", line 480, in _handle_request',
        '  File "/x/custom_components/loqed_bridge/diagnostics.py", line 111, in get',
        "RecursionError: maximum recursion depth exceeded",
    ]
    assert is_aiohttp_drain(drain)
    assert not is_aiohttp_drain(handler)
    assert not is_aiohttp_drain(["no traceback"])
