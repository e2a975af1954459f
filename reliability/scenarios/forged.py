"""Forged webhooks: a thousand requests nobody should trust; nothing may change or break."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
import contextlib
import secrets
import time
from typing import TYPE_CHECKING, Final

import aiohttp
from multidict import CIMultiDict

from reliability.forgery import ForgedRequest, Forger, body_hash
from reliability.logs import LEVELS, is_aiohttp_drain, problems
from reliability.model import Outcome
from reliability.stack import counter_delta

if TYPE_CHECKING:
    from reliability.context import Context
    from reliability.logs import LogRecord
    from reliability.stack import Entry, Stack

CONCURRENCY: Final = 8
BATCH: Final = 100
"""Requests are built in batches with a fresh clock, so the signed ones are never stale."""
RSS_GROWTH_LIMIT_KIB: Final = 16 * 1024
"""Stable memory: less than one of the largest bodies Home Assistant accepts (16 MiB)."""
SERVER_ERROR: Final = 500
SETTLE: Final = 6.0
DEEP: Final = 1000
"""Nesting depth of the signed deep-JSON probe (orjson parses up to 1024 levels)."""
WEBHOOK_LOGGER: Final = "homeassistant.components.webhook"
HANDLER_FILES: Final = ("custom_components/loqed_bridge", "/aioloqed/")


async def send(stack: Stack, entry: Entry, request: ForgedRequest) -> str:
    """Send one request to the entry's webhook URL; return the status or the client error."""
    try:
        async with stack.session.request(
            request.method,
            stack.webhook_url(entry),
            data=request.payload(),
            headers=CIMultiDict(request.headers),
            timeout=aiohttp.ClientTimeout(total=60),
        ) as response:
            await response.read()
            return str(response.status)
    except (aiohttp.ClientError, TimeoutError) as err:
        return f"connection {type(err).__name__}"


async def send_all(
    stack: Stack, entry: Entry, forger: Forger, count: int
) -> dict[str, Counter[str]]:
    """Send ``count`` forged requests, ``CONCURRENCY`` at a time; statuses by kind."""
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(request: ForgedRequest) -> None:
        async with limit:
            outcomes[request.kind][await send(stack, entry, request)] += 1

    for start in range(0, count, BATCH):
        forger.now = int(time.time())
        batch = forger.requests(min(BATCH, count - start))
        await asyncio.gather(*(one(request) for request in batch))
    return outcomes


def _statuses(outcomes: dict[str, Counter[str]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for counter in outcomes.values():
        total.update(counter)
    return total


def from_the_handler(record: LogRecord) -> bool:
    """Say whether a log problem comes from the integration's code paths.

    That is the integration or its library (their loggers, or their files in the traceback), or
    Home Assistant's webhook component around the integration's handler.
    """
    if record.ours or record.logger == WEBHOOK_LOGGER:
        return True
    if is_aiohttp_drain(record.extra):
        return False
    return any(place in line for line in record.extra for place in HANDLER_FILES)


async def control(stack: Stack) -> int:
    """Send the false-Content-Encoding requests to a webhook id nobody registered.

    Returns how many errors aiohttp's server logged for them: what Home Assistant does with such
    requests without the integration.
    """
    mark = stack.log.mark()
    url = f"{stack.hass.url}/api/webhook/{secrets.token_hex(32)}"
    for encoding in ("gzip", "deflate", "br", "x-unknown"):
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with stack.session.post(
                url, data=b"not compressed", headers={"Content-Encoding": encoding}
            ) as response:
                await response.read()
    await asyncio.sleep(0.5)
    return sum(1 for r in problems(stack.log.records_since(mark)) if not from_the_handler(r))


async def deep_then_diagnostics(stack: Stack, entry: Entry) -> str:
    """Send one validly signed, deeply nested JSON object; then download the diagnostics.

    Returns what happened, in words. A download that fails is also recorded by the stack (the
    diagnostics row reports it).
    """
    body = b'{"x":' + b"[" * DEEP + b"]" * DEEP + b"}"
    now = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "TIMESTAMP": str(now),
        "HASH": body_hash(entry.bridge.identity.bridge_key_bytes, body, now),
    }
    async with stack.session.post(stack.webhook_url(entry), data=body, headers=headers) as answer:
        status = answer.status
    failures = len(stack.diagnostics_failures)
    downloaded = await stack.diagnostics(entry) is not None
    if downloaded:
        return f"webhook answered {status}; diagnostics downloaded"
    return (
        f"webhook answered {status}; diagnostics download failed "
        f"({', '.join(stack.diagnostics_failures[failures:])})"
    )


async def run(ctx: Context) -> list[Outcome]:
    """Send the forged mix twice (warm-up, then measured), with memory and log around it."""
    stack, entry = ctx.stack, ctx.main
    identity = entry.bridge.identity
    count = 200 if ctx.quick else 1000
    seed = ctx.settings.seed

    def forger(offset: int) -> Forger:
        return Forger(
            identity.bridge_key_bytes, identity.mac_wifi, identity.mac_ble, 0, seed + offset
        )

    counters_before = await stack.push_counters(entry)
    state_before = await stack.lock_state(entry)
    watched = set(await stack.entity_ids(entry))
    mark = stack.log.mark()
    rss_start = stack.hass_rss_kib()
    async with stack.websocket() as ws, ws.watch_states() as watcher:
        await send_all(stack, entry, forger(1), count)
        await asyncio.sleep(SETTLE)
        rss_before = stack.hass_rss_kib()
        began = time.monotonic()
        outcomes = await send_all(stack, entry, forger(0), count)
        took = time.monotonic() - began
        deep = await deep_then_diagnostics(stack, entry)
        await asyncio.sleep(SETTLE)  # status reads that unsigned requests asked for, then quiet
        rss_after = stack.hass_rss_kib()
        changes = [c for c in watcher.changes if c.entity_id in watched]
    state_after = await stack.lock_state(entry)
    grown = counter_delta(counters_before, await stack.push_counters(entry))
    records = stack.log.records_since(mark)
    errors = problems(records)
    handler_errors = [r for r in errors if from_the_handler(r)]
    server_layer = [r for r in errors if not from_the_handler(r)]
    control_errors = await control(stack)
    warnings = [r for r in records if r.severity == LEVELS["WARNING"]]
    statuses = _statuses(outcomes)
    server_errors = sum(
        n for status, n in statuses.items() if status.isdigit() and int(status) >= SERVER_ERROR
    )
    growth = rss_after - rss_before
    passed = (
        not changes
        and state_before == state_after
        and server_errors == 0
        and not handler_errors
        and growth < RSS_GROWTH_LIMIT_KIB
    )
    status_text = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
    observed = (
        f"{count} requests in {took:.0f} s, answers {status_text}; {len(changes)} state changes "
        f"of the entry's {len(watched)} entities (lock {state_before} before and {state_after} "
        f"after); {len(handler_errors)} errors or tracebacks from the integration's code paths in "
        f"the log ({len(server_layer)} more from aiohttp's HTTP layer); RSS "
        f"{rss_before / 1024:.0f} -> {rss_after / 1024:.0f} MiB ({growth / 1024:+.1f} MiB)"
    )
    details = [
        (
            f"memory: {rss_start / 1024:.0f} MiB before any forged request, "
            f"{rss_before / 1024:.0f} MiB after the warm-up round (the same mix, another seed), "
            f"{rss_after / 1024:.0f} MiB after the measured round"
        ),
        *(
            f"{kind}: " + ", ".join(f"{status} x{n}" for status, n in sorted(counter.items()))
            for kind, counter in sorted(outcomes.items())
        ),
    ]
    if grown:
        details.append(f"integration counters grew (both rounds): {grown}")
    details.append(
        "a signed body of 1,000 nested JSON arrays inside an object, then the diagnostics "
        f"download: {deep}"
    )
    details += [f"state change: {c.entity_id} {c.old_state} -> {c.state}" for c in changes[:6]]
    grouped = Counter((r.logger, r.message[:60], _exception(r)) for r in handler_errors)
    details += [
        f"log error from the integration's code paths, {n}x: [{logger}] {message} ({exception})"
        for (logger, message, exception), n in grouped.most_common(6)
    ]
    if server_layer:
        kinds = "; ".join(sorted({_exception(r) for r in server_layer}))
        details.append(
            f"{len(server_layer)} errors logged by aiohttp's HTTP server itself for requests with "
            f"a false Content-Encoding ({kinds}); "
            f"the same requests to a webhook id nobody registered gave {control_errors} such "
            "errors, so they are Home Assistant's (aiohttp's) own and not counted against the "
            "integration"
        )
    by_logger = Counter(r.logger for r in warnings)
    details += [f"{n} warning(s) from {logger}" for logger, n in by_logger.most_common()]
    details += [f"warning: [{r.logger}] {r.message[:200]}" for r in _distinct(warnings)[:4]]
    return [
        Outcome(
            key="forged",
            scenario="Forged webhooks",
            done=(
                f"{count} requests to the webhook URL, after a warm-up round of {count} more: "
                "random and tampered bodies, wrong hashes and keys, bodies up to 17 MiB, "
                "GET/PUT/DELETE/PATCH/OPTIONS/HEAD, bad TIMESTAMP/HASH headers, false "
                "Content-Encoding, non-JSON and deep JSON"
            ),
            expected=(
                "no state change of any entity, no 5xx answer, no error or traceback from the "
                "integration's code paths in the log, RSS grows by less than 16 MiB over the "
                "measured round"
            ),
            observed=observed,
            passed=passed,
            details=details,
            data={
                "statuses": {k: dict(v) for k, v in outcomes.items()},
                "rss_kib": [rss_start, rss_before, rss_after],
                "state_changes": len(changes),
                "handler_errors": len(handler_errors),
                "server_layer_errors": len(server_layer),
                "control_errors": control_errors,
            },
        )
    ]


def _exception(record: LogRecord) -> str:
    """Return the last line of the record's traceback (the exception), or its message."""
    lines = [line.strip() for line in record.extra if line.strip()]
    for line in reversed(lines):
        if not line.startswith(("File ", "^", "~", "raise", "return", "...")) and ":" in line:
            return line[:120]
    return record.message[:120]


def _distinct(records: list[LogRecord]) -> list[LogRecord]:
    """One record per distinct message start (the first 60 characters)."""
    seen: set[str] = set()
    result: list[LogRecord] = []
    for record in records:
        head = record.message[:60]
        if head not in seen:
            seen.add(head)
            result.append(record)
    return result
