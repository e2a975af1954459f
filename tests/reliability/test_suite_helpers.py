"""The suite's helpers that need no Home Assistant: relay, identities, plans, verdicts, runner."""

from __future__ import annotations

import asyncio
import json
import random
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
import pytest
from reliability.cli import parse_args, table_text, write_outputs
from reliability.context import Settings
from reliability.logs import parse_records
from reliability.model import Outcome, RunInfo
from reliability.proxy import RecordingProxy
from reliability.runner import RunResult, line, run_scenario
from reliability.scenarios import SCENARIOS, Scenario, selected
from reliability.scenarios.clock import skew_text, verdict
from reliability.scenarios.commands import burst_operations, delivery_outcomes
from reliability.scenarios.forged import from_the_handler
from reliability.scenarios.replay import answer_from_form
from reliability.scenarios.secrets import _place_kind, storage_files
from reliability.stack import (
    Entry,
    Identity,
    counter_delta,
    find_counters,
    hass_state_of,
    wait_until,
    write_hass_configuration,
)

from aioloqed import WebhookRegistration, WebhookTrigger

if TYPE_CHECKING:
    from pathlib import Path


async def test_the_relay_forwards_and_records(socket_enabled: None) -> None:
    seen: list[tuple[str, bytes, str | None]] = []

    async def target(request: web.Request) -> web.Response:
        seen.append((request.path, await request.read(), request.headers.get("HASH")))
        return web.Response(status=401 if request.headers.get("HASH") == "bad" else 200)

    app = web.Application()
    app.router.add_post("/api/webhook/{id}", target)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as session:
        proxy = RecordingProxy(session, f"http://127.0.0.1:{port}")
        await proxy.start()
        try:
            for digest in ("good", "bad"):
                async with session.post(
                    f"{proxy.url}/api/webhook/abc",
                    data=b'{"a":1}',
                    headers={"TIMESTAMP": "1767225600", "HASH": digest, "X-Other": "dropped"},
                ) as response:
                    assert response.status == (200 if digest == "good" else 401)
        finally:
            await proxy.stop()
    await runner.cleanup()
    assert seen == [
        ("/api/webhook/abc", b'{"a":1}', "good"),
        ("/api/webhook/abc", b'{"a":1}', "bad"),
    ]
    first, second = proxy.recorded
    assert (first.status, second.status) == (200, 401)
    assert first.timestamp == 1767225600
    kept = dict(first.headers)
    assert (kept["TIMESTAMP"], kept["HASH"]) == ("1767225600", "good")
    assert "X-Other" not in kept


def test_identity_flags_and_secrets() -> None:
    identity = Identity.generate("main", random.Random(1))
    again = Identity.generate("main", random.Random(1))
    assert (identity.mac_wifi, identity.lock_id) == (again.mac_wifi, again.lock_id)
    assert identity.bridge_key != again.bridge_key  # keys come from the operating system
    flags = identity.flags()
    assert flags[flags.index("--mac-wifi") + 1] == identity.mac_wifi
    assert identity.mac_ble == f"{int(identity.mac_wifi, 16) + 2:012x}"
    assert len(identity.bridge_key_bytes) == 32
    assert identity.bridge_key not in repr(identity)
    assert {s.kind for s in identity.secrets()} == {"bridge key", "lock key", "backend key"}


def test_entry_recognises_its_registration() -> None:
    entry = Entry("id", "Title", "abc123", bridge=None, lock_entity="lock.x")  # type: ignore[arg-type]
    ours = WebhookRegistration(1, "http://127.0.0.1:8123/api/webhook/abc123", WebhookTrigger.ALL)
    other = WebhookRegistration(2, "http://127.0.0.1:8123/api/webhook/abc1234", WebhookTrigger.ALL)
    assert entry.is_ours(ours)
    assert not entry.is_ours(other)
    assert "abc123" not in repr(entry)


def test_counters_from_diagnostics() -> None:
    diagnostics = {"data": {"push": {"counters": {"verified": 3}}, "x": [1]}}
    assert find_counters(diagnostics) == {"verified": 3}
    assert find_counters({"data": {"push": {}}}) is None
    assert find_counters([1, 2]) is None
    assert counter_delta({"verified": 3}, {"verified": 5, "replay": 0}) == {"verified": 2}
    assert counter_delta(None, {"verified": 5}) == {}
    assert hass_state_of("night_lock") == "locked"
    assert hass_state_of("unknown") == "unknown"


async def test_wait_until_takes_sync_and_async_checks() -> None:
    calls: list[int] = []

    def sync_check() -> bool:
        calls.append(1)
        return len(calls) > 2

    async def never() -> bool:
        return False

    assert await wait_until(sync_check, 2.0, interval=0.01) is not None
    assert await wait_until(never, 0.05, interval=0.01) is None


def test_hass_configuration_adds_the_components(tmp_path: Path) -> None:
    path = write_hass_configuration(tmp_path / "c" / "configuration.yaml")
    text = path.read_text(encoding="utf-8")
    for component in ("zeroconf:", "repairs:", "diagnostics:", "webhook:"):
        assert component in text


def test_burst_operations_are_all_different_and_end_with_a_lock_move() -> None:
    operations = burst_operations(1000, seed=3)
    assert len(operations) == 1000
    assert len({json.dumps(op, sort_keys=True) for op in operations}) == 1000
    assert operations[-1][0] == "/api/operations/app_ble"
    assert sum(1 for path, _ in operations if path == "/api/battery") == 244
    assert all(body["percentage"] >= 20 for path, body in operations if path == "/api/battery")
    with pytest.raises(ValueError, match="different operations"):
        burst_operations(5000, seed=3)


def test_delivery_lines_are_counted() -> None:
    text = (
        "x INFO loqed_emulator.webhooks: webhook STATE_CHANGED_LATCH -> 127.0.0.1:1: "
        "delivered (200)\n"
        "x INFO loqed_emulator.webhooks: webhook battery -> 127.0.0.1:1: lost\n"
        "x INFO loqed_emulator.webhooks: webhook battery -> 127.0.0.1:1: http_error (401)\n"
    )
    assert delivery_outcomes(text) == {"delivered 200": 1, "lost": 1, "http_error 401": 1}


def test_clock_verdicts() -> None:
    accepted = {"offset": 5, "arrived": 0.1, "changes": ["unlocked"], "statuses": [200, 200]}
    refused = {"offset": -60, "arrived": None, "changes": [], "statuses": [401, 401]}
    assert verdict(30, 5, [accepted])[0]
    assert not verdict(30, 60, [accepted])[0]
    ok, text = verdict(30, 60, [refused])
    assert ok
    assert text == "behind: HTTP 401, nothing taken from the webhook"
    read = {**refused, "arrived": 0.3, "changes": ["unlocked"]}
    ok, text = verdict(30, 60, [read])
    assert ok
    assert "(a status read)" in text
    moved = {**refused, "changes": ["locking", "locked"]}
    assert not verdict(30, 60, [moved])[0]
    assert not verdict(30, 5, [{**accepted, "arrived": None}])[0]
    assert skew_text(600) == "10 min"
    assert skew_text(25) == "25 s"


def test_options_form_answers_keep_what_is_suggested() -> None:
    schema: list[dict[str, Any]] = [
        {"name": "key_names", "description": {"suggested_value": "3=Anna"}},
        {"name": "handle_outside", "default": False},
        {
            "name": "connection",
            "type": "expandable",
            "schema": [
                {"name": "callback_url", "description": {"suggested_value": "http://old"}},
                {"name": "timestamp_window", "default": 30},
                {"name": "empty"},
            ],
        },
    ]
    assert answer_from_form(schema, {"callback_url": "http://new"}, {"callback_url"}) == {
        "key_names": "3=Anna",
        "handle_outside": False,
        "connection": {"callback_url": "http://new", "timestamp_window": 30},
    }
    assert answer_from_form(schema, {}, {"callback_url"})["connection"] == {"timestamp_window": 30}


def test_handler_errors_are_told_from_the_http_layer() -> None:
    records = parse_records(
        "2026-01-01 00:00:00.000 ERROR (M) [homeassistant.components.webhook] Error processing\n"
        "2026-01-01 00:00:00.000 ERROR (M) [aiohttp.server] Unhandled exception\n"
        '  File "/x/custom_components/loqed_bridge/push.py", line 1\n'
        "2026-01-01 00:00:00.000 ERROR (M) [aiohttp.server] Error handling request\n"
    )
    assert [from_the_handler(r) for r in records] == [True, True, False]


def test_secret_places(tmp_path: Path) -> None:
    storage = tmp_path / ".storage"
    storage.mkdir()
    for name in ("core.config_entries", "auth", "core.restore_state", "repairs.issue_registry"):
        (storage / name).write_text("{}", encoding="utf-8")
    assert [p.name for p in storage_files(tmp_path)] == [
        "core.restore_state",
        "repairs.issue_registry",
    ]
    assert storage_files(tmp_path / "none") == []
    assert _place_kind("emulator log of bridge main (run 1)") == "emulator log"
    assert _place_kind("elsewhere") == "elsewhere"


def test_scenario_selection() -> None:
    quick = selected(quick=True)
    assert [s.key for s in quick] == [s.key for s in SCENARIOS if s.quick]
    assert quick[-1].key == "secrets"
    assert [s.key for s in selected(quick=False, only={"forged", "secrets"})] == [
        "forged",
        "secrets",
    ]
    with pytest.raises(ValueError, match="unknown"):
        selected(quick=False, only={"nope"})
    assert len(selected(quick=False)) == len(SCENARIOS)


async def test_a_crashing_or_slow_scenario_becomes_a_failed_row() -> None:
    async def crash(ctx: Any) -> list[Outcome]:
        raise RuntimeError("boom")

    async def slow(ctx: Any) -> list[Outcome]:
        await asyncio.sleep(10)
        return []

    async def fine(ctx: Any) -> list[Outcome]:
        return [Outcome("a", "A", "d", "e", "o", True), Outcome("b", "B", "d", "e", "o", True)]

    (crashed,) = await run_scenario(None, Scenario("c", "Crash", crash, quick=True, budget=5))  # type: ignore[arg-type]
    assert not crashed.passed
    assert "RuntimeError: boom" in crashed.observed
    (timed_out,) = await run_scenario(None, Scenario("s", "Slow", slow, quick=True, budget=0.05))  # type: ignore[arg-type]
    assert "took longer than 0.05 s" in timed_out.observed
    rows = await run_scenario(None, Scenario("f", "Fine", fine, quick=True, budget=5))  # type: ignore[arg-type]
    assert [r.key for r in rows] == ["a", "b"]
    assert line(crashed, lambda text: text.replace("boom", "***")).startswith("FAIL Crash")
    assert "boom" not in line(crashed, lambda text: text.replace("boom", "***"))


def test_outputs_are_written_where_asked(tmp_path: Path) -> None:
    result = RunResult(
        RunInfo("quick", "2026-01-01 00:00"),
        [Outcome("a", "A", "d", "e", "seen s3cret", False)],
        redact=lambda text: text.replace("s3cret", "***"),
    )
    assert not result.passed
    args = parse_args(
        ["--quick", "--report", str(tmp_path / "out.md"), "--json", str(tmp_path / "o.json")]
    )
    workdir = tmp_path / "work"
    workdir.mkdir()
    targets = write_outputs(args, result, workdir, partial=False)
    assert targets == [workdir / "reliability.md", tmp_path / "out.md"]
    for path in (*targets, workdir / "reliability.json", tmp_path / "o.json"):
        text = path.read_text(encoding="utf-8")
        assert "s3cret" not in text
        assert "seen ***" in text
    assert "0 of 1 scenarios passed" in table_text(result)
    quick_only = write_outputs(parse_args(["--quick"]), result, workdir, partial=False)
    assert quick_only == [workdir / "reliability.md"]
    assert Settings(quick=True, seed=1, workdir=workdir).overrides == {}
