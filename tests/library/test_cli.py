"""The aioloqed command against the emulated bridge on loopback.

In-process runs use typer's CliRunner in a worker thread (the command runs its own event loop
there while the emulator answers on the test's loop); signal handling and ``python -m aioloqed``
are tested with real subprocesses.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import sys
from typing import TYPE_CHECKING, Any

from aiohttp import web
import pytest
from tests.library.emulated import fast_config
from typer.testing import CliRunner, Result

from aioloqed import _cli
from aioloqed.cli import app, render
from aioloqed.cli.errors import ExitCode
from aioloqed.cli.watch import callback_url, local_address_toward
from loqed_emulator.bridge import EmulatedBridge
from loqed_emulator.lock import BoltState as EmuBolt

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

CLEAN_ENV: dict[str, str | None] = dict.fromkeys(
    ("LOQED_CONFIG", "LOQED_HOST", "LOQED_BRIDGE_KEY", "LOQED_LOCK_KEY", "LOQED_LOCAL_KEY_ID")
) | {"COLUMNS": "120"}
OTHER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="


async def run_cli(args: list[str], env: Mapping[str, str | None] | None = None) -> Result:
    """Run the command in a worker thread so the emulator keeps answering on this loop."""
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, app, args, env={**CLEAN_ENV, **(env or {})})


@pytest.fixture
def config_file(emulator: EmulatedBridge, tmp_path: Path) -> Path:
    path = tmp_path / "loqed.json"
    path.write_text(json.dumps(emulator.integration_information))
    return path


def info(emulator: EmulatedBridge) -> dict[str, Any]:
    return dict(emulator.integration_information)


def host_of(emulator: EmulatedBridge) -> str:
    return f"127.0.0.1:{emulator.port}"


async def settle(emulator: EmulatedBridge) -> None:
    async with asyncio.timeout(5):
        await emulator.wait_settled()


def assert_one_line_error(result: Result, code: ExitCode, *fragments: str) -> None:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


# ---------------------------------------------------------------------- status


async def test_status_as_a_table(emulator: EmulatedBridge, config_file: Path) -> None:
    result = await run_cli(["--config", str(config_file), "status"])
    assert result.exit_code == 0, result.stderr
    assert "night lock (locked)" in result.stdout
    assert "87 %" in result.stdout
    assert emulator.macs.wifi in result.stdout
    assert "nickel metal hydride" in result.stdout


async def test_status_as_json(emulator: EmulatedBridge, config_file: Path) -> None:
    for args in (
        ["--config", str(config_file), "--json", "status"],
        ["--config", str(config_file), "status", "--json"],
    ):
        result = await run_cli(args)
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["bolt_state"] == "night_lock"
        assert data["battery_type"] == "nickel_metal_hydride"
        assert data["lock_online"] is True
        assert data["raw"]["bolt_state_numeric"] == 3


async def test_status_needs_only_an_address(emulator: EmulatedBridge) -> None:
    result = await run_cli(["--json", "status"], env={"LOQED_HOST": host_of(emulator)})
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["bridge_mac_wifi"] == emulator.macs.wifi


async def test_config_from_the_environment_and_host_override(
    emulator: EmulatedBridge, tmp_path: Path
) -> None:
    stale = info(emulator) | {"bridge_ip": "127.0.0.1:1"}  # the bridge moved
    path = tmp_path / "old.json"
    path.write_text(json.dumps(stale))
    moved = await run_cli(["--json", "status"], env={"LOQED_CONFIG": str(path)})
    assert_one_line_error(moved, ExitCode.UNREACHABLE, "127.0.0.1:1", "Connection refused")
    result = await run_cli(
        ["--host", host_of(emulator), "--json", "unlock"], env={"LOQED_CONFIG": str(path)}
    )
    assert result.exit_code == 0, result.stderr
    await settle(emulator)
    assert emulator.bolt_state is EmuBolt.DAY_LOCK


# ---------------------------------------------------------------------- commands


@pytest.mark.parametrize(
    ("command", "action", "final"),
    [
        ("unlock", "unlock", EmuBolt.DAY_LOCK),
        ("open", "open", EmuBolt.DAY_LOCK),
    ],
)
async def test_commands_move_the_lock(
    emulator: EmulatedBridge, config_file: Path, command: str, action: str, final: EmuBolt
) -> None:
    result = await run_cli(["--config", str(config_file), "--json", command])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["action"] == action
    assert data["local_key_id"] == info(emulator)["lock_key_local_id"]
    assert data["bridge"] == host_of(emulator)
    await settle(emulator)
    assert emulator.bolt_state is final


async def test_lock_in_human_words(emulator: EmulatedBridge, config_file: Path) -> None:
    emulator.turn_knob(EmuBolt.DAY_LOCK)
    result = await run_cli(["--config", str(config_file), "lock"])
    assert result.exit_code == 0, result.stderr
    assert "Sent lock (night lock)" in result.stdout
    assert "confirms through its webhooks" in result.stdout
    await settle(emulator)
    assert emulator.bolt_state is EmuBolt.NIGHT_LOCK


async def test_keys_from_the_environment_win_over_the_file(
    emulator: EmulatedBridge, tmp_path: Path
) -> None:
    wrong = info(emulator) | {"lock_key_key": OTHER_KEY, "lock_key_local_id": 9}
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(wrong))
    env = {
        "LOQED_LOCK_KEY": str(info(emulator)["lock_key_key"]),
        "LOQED_LOCAL_KEY_ID": str(info(emulator)["lock_key_local_id"]),
    }
    result = await run_cli(["--config", str(path), "unlock"], env=env)
    assert result.exit_code == 0, result.stderr
    await settle(emulator)
    assert not emulator.ignored_commands
    assert emulator.bolt_state is EmuBolt.DAY_LOCK


async def test_everything_from_the_environment(emulator: EmulatedBridge) -> None:
    env = {
        "LOQED_HOST": host_of(emulator),
        "LOQED_BRIDGE_KEY": str(info(emulator)["bridge_key"]),
        "LOQED_LOCK_KEY": str(info(emulator)["lock_key_key"]),
        "LOQED_LOCAL_KEY_ID": str(info(emulator)["lock_key_local_id"]),
    }
    assert (await run_cli(["unlock"], env=env)).exit_code == 0
    listed = await run_cli(["webhooks", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout) == []


# ---------------------------------------------------------------------- webhooks


async def test_webhooks_add_list_remove(emulator: EmulatedBridge, config_file: Path) -> None:
    base = ["--config", str(config_file)]
    added = await run_cli([*base, "webhooks", "add", "http://192.0.2.1:8123/api/webhook/x"])
    assert added.exit_code == 0, added.stderr
    assert "Registered http://192.0.2.1:8123/api/webhook/x" in added.stdout
    picky = await run_cli(
        [
            *base,
            "--json",
            "webhooks",
            "add",
            "http://192.0.2.1/y",
            "-t",
            "battery",
            "-t",
            "online-status",
        ]
    )
    assert picky.exit_code == 0, picky.stderr
    assert json.loads(picky.stdout)["trigger_names"] == ["battery", "online_status"]
    assert sorted(item.flags for item in emulator.registry) == [384, 511]

    table = await run_cli([*base, "webhooks", "list"])
    assert table.exit_code == 0, table.stderr
    assert "http://192.0.2.1:8123/api/webhook/x" in table.stdout
    assert "all" in table.stdout
    assert "battery, online_status" in table.stdout

    listed = json.loads((await run_cli([*base, "webhooks", "list", "--json"])).stdout)
    assert [item["triggers"] for item in listed] == [511, 384]
    ids = [str(item["id"]) for item in listed]

    removed = await run_cli([*base, "--json", "webhooks", "remove", *ids])
    assert removed.exit_code == 0, removed.stderr
    assert json.loads(removed.stdout) == {"removed": [int(i) for i in ids]}
    assert len(emulator.registry) == 0
    empty = await run_cli([*base, "webhooks", "list"])
    assert "No webhooks registered" in empty.stdout


async def test_webhooks_remove_in_words_and_add_all(
    emulator: EmulatedBridge, config_file: Path
) -> None:
    base = ["--config", str(config_file)]
    result = await run_cli([*base, "webhooks", "add", "https://example.test/h", "-t", "all"])
    assert result.exit_code == 0, result.stderr
    (registration,) = list(emulator.registry)
    removed = await run_cli([*base, "webhooks", "remove", str(registration.id)])
    assert removed.stdout.strip() == f"Removed webhook {registration.id}."


@pytest.mark.parametrize(
    "args",
    [
        ["webhooks", "add", "ftp://example/x"],
        ["webhooks", "add", "http://example/x", "--trigger", "doorbell"],
        ["webhooks", "remove", "minus-one"],
        ["webhooks", "remove", "-5"],
        ["frobnicate"],
        ["watch", "--count", "0"],
    ],
)
async def test_usage_errors_exit_2_and_change_nothing(
    emulator: EmulatedBridge, config_file: Path, args: list[str]
) -> None:
    result = await run_cli(["--config", str(config_file), *args])
    assert result.exit_code == ExitCode.USAGE
    assert len(emulator.registry) == 0


# ---------------------------------------------------------------------- expected failures


async def test_missing_address(socket_enabled: None) -> None:
    assert_one_line_error(
        await run_cli(["status"]), ExitCode.MISSING_CREDENTIALS, "bridge address", "LOQED_HOST"
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["lock"], "lock key"),
        (["webhooks", "list"], "bridge key"),
        (["watch"], "bridge key"),
    ],
)
async def test_missing_keys(emulator: EmulatedBridge, args: list[str], fragment: str) -> None:
    result = await run_cli(args, env={"LOQED_HOST": host_of(emulator)})
    assert_one_line_error(result, ExitCode.MISSING_CREDENTIALS, fragment)


async def test_missing_key_id(emulator: EmulatedBridge) -> None:
    env = {"LOQED_HOST": host_of(emulator), "LOQED_LOCK_KEY": OTHER_KEY}
    result = await run_cli(["open"], env=env)
    assert_one_line_error(result, ExitCode.MISSING_CREDENTIALS, "local key id")
    assert not emulator.ignored_commands


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"LOQED_LOCAL_KEY_ID": "seven"}, "LOQED_LOCAL_KEY_ID is not a number"),
        ({"LOQED_LOCAL_KEY_ID": "300"}, "LOQED_LOCAL_KEY_ID must be 0-250"),
        ({"LOQED_LOCK_KEY": "not*base64", "LOQED_LOCAL_KEY_ID": "1"}, "lock_key: not base64"),
        ({"LOQED_HOST": "http://"}, "host"),
    ],
)
async def test_bad_values_in_the_environment(
    emulator: EmulatedBridge, env: dict[str, str], fragment: str
) -> None:
    result = await run_cli(["lock"], env={"LOQED_HOST": host_of(emulator), **env})
    assert_one_line_error(result, ExitCode.CONFIG, fragment)
    assert "not*base64" not in result.stderr


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "Cannot read config file"),
        (b"this is not the integration information", "not json"),
        (b'{"lock_id": "x", "bridge_ip": "127.0.0.1"}', "bridge_key: missing"),
        (b" " * 70_000, "too large"),
    ],
)
async def test_bad_config_file(
    socket_enabled: None, tmp_path: Path, content: bytes | None, fragment: str
) -> None:
    path = tmp_path / "loqed.json"
    if content is not None:
        path.write_bytes(content)
    result = await run_cli(["--config", str(path), "status"])
    assert_one_line_error(result, ExitCode.CONFIG, fragment)


async def test_unreachable_bridge(socket_enabled: None, tmp_path: Path) -> None:
    env = {"LOQED_HOST": "127.0.0.1:1"}
    result = await run_cli(["--request-timeout", "1", "webhooks", "list"], env=env)
    assert_one_line_error(result, ExitCode.MISSING_CREDENTIALS)
    result = await run_cli(
        ["open"], env=env | {"LOQED_LOCK_KEY": OTHER_KEY, "LOQED_LOCAL_KEY_ID": "1"}
    )
    assert_one_line_error(result, ExitCode.UNREACHABLE, "Cannot reach bridge 127.0.0.1:1")


async def test_slow_bridge_times_out(emulator: EmulatedBridge, config_file: Path) -> None:
    await emulator.set_faults(latency_ms=800)
    result = await run_cli(["--config", str(config_file), "--request-timeout", "0.2", "lock"])
    assert_one_line_error(result, ExitCode.UNREACHABLE, "did not answer", "0.2 s")
    await asyncio.sleep(0.8)  # let the emulator finish the slow answer before it stops


async def test_wrong_bridge_key(emulator: EmulatedBridge, tmp_path: Path) -> None:
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(info(emulator) | {"bridge_key": OTHER_KEY}))
    result = await run_cli(["--config", str(path), "webhooks", "list"])
    assert_one_line_error(result, ExitCode.AUTHENTICATION, "bridge key", "LOQED_BRIDGE_KEY")
    assert OTHER_KEY not in result.stderr


@pytest.mark.parametrize("fault", ["http_500", "malformed_json"])
async def test_bad_answers(emulator: EmulatedBridge, config_file: Path, fault: str) -> None:
    await emulator.set_faults(**{fault: True})
    result = await run_cli(["--config", str(config_file), "status"])
    assert_one_line_error(result, ExitCode.BAD_RESPONSE)


async def test_version(socket_enabled: None) -> None:
    result = await run_cli(["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("aioloqed ")


async def test_no_arguments_shows_help(socket_enabled: None) -> None:
    result = await run_cli([])
    assert "status" in result.stdout + result.stderr
    assert "discover" in result.stdout + result.stderr


# ---------------------------------------------------------------------- watch (in-process)


async def wait_for_registration(emulator: EmulatedBridge, present: bool = True) -> None:
    async with asyncio.timeout(10):
        while (len(emulator.registry) > 0) != present:
            await asyncio.sleep(0.02)


async def test_watch_prints_verified_events_and_removes_its_registration(
    emulator: EmulatedBridge, config_file: Path
) -> None:
    cli = asyncio.create_task(
        run_cli(
            [
                *["--config", str(config_file), "watch", "--json", "--count", "2"],
                *["-t", "state_changed_latch", "-t", "goto_latch"],
            ]
        )
    )
    await wait_for_registration(emulator)
    (registration,) = list(emulator.registry)
    assert registration.flags == 2 | 32
    assert registration.url.startswith("http://127.0.0.1:")
    emulator.turn_knob(EmuBolt.NIGHT_LOCK)  # no webhook: not a chosen trigger
    emulator.turn_knob(EmuBolt.DAY_LOCK)  # STATE_CHANGED_LATCH only (no motor)
    emulator.turn_knob(EmuBolt.NIGHT_LOCK)
    emulator.app_ble(EmuBolt.DAY_LOCK)  # GO_TO_STATE_..._LATCH first
    async with asyncio.timeout(15):
        result = await cli
    assert result.exit_code == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["result"] == "verified"
    assert first["event"]["kind"] == "state_reached"
    assert first["event"]["state"] == "day_lock"
    assert first["event"]["source"] == "manual"
    assert first["event"]["raw"]["event_type"] == "STATE_CHANGED_LATCH"
    assert first["lock_state"]["bolt_state"] == "day_lock"
    assert first["lock_state"]["source"] == "manual"
    assert second["event"]["kind"] == "going_to_state"
    assert second["event"]["target"] == "day_lock"
    assert second["lock_state"]["source"] == "app_ble"
    assert second["lock_state"]["key_id"] == info(emulator)["lock_key_local_id"]
    assert "Removed the webhook registration." in result.stderr
    assert len(emulator.registry) == 0


async def test_watch_in_words_shows_unverified_and_rejected_webhooks(
    emulator: EmulatedBridge, config_file: Path
) -> None:
    cli = asyncio.create_task(
        run_cli(
            [
                "--config",
                str(config_file),
                "watch",
                "--count",
                "3",
                "--listen-host",
                "127.0.0.1",
                "--callback-host",
                "127.0.0.1",
                "--window",
                "5",
            ]
        )
    )
    await wait_for_registration(emulator)
    emulator.turn_knob(EmuBolt.DAY_LOCK)
    await settle(emulator)
    await emulator.set_faults(unsigned_webhooks=True)
    emulator.turn_knob(EmuBolt.NIGHT_LOCK)
    await settle(emulator)
    await emulator.set_faults(unsigned_webhooks=False, clock_offset=120)
    emulator.turn_knob(EmuBolt.DAY_LOCK)
    async with asyncio.timeout(15):
        result = await cli
    assert result.exit_code == 0, result.stderr
    first, second, third = result.stdout.splitlines()
    assert "reached day lock (unlocked)" in first
    assert "no key, manual" in first
    assert "UNVERIFIED" in second
    assert "reached night lock (locked)" in second
    assert re.search(r"REJECTED \(stale\), clock skew \+(119|120) s$", third)
    assert len(emulator.registry) == 0


async def test_watch_tells_who_opened_and_that_the_lock_relatched_itself(
    emulator: EmulatedBridge, config_file: Path
) -> None:
    cli = asyncio.create_task(
        run_cli(["--config", str(config_file), "watch", "--count", "3", "-t", "all"])
    )
    await wait_for_registration(emulator)
    emulator.keypad_pin()
    async with asyncio.timeout(15):
        result = await cli
    assert result.exit_code == 0, result.stderr
    key = info(emulator)["lock_key_local_id"]
    going, opened, relatched = result.stdout.splitlines()
    assert going.endswith(
        f"going to open (GO_TO_STATE_MANUAL_UNLOCK_VIA_OUTSIDE_MODULE_PIN, key {key}, keypad pin)"
    )
    assert opened.endswith(f"reached open (STATE_CHANGED_OPEN, key {key}, keypad pin)")
    assert relatched.endswith(
        "reached day lock (unlocked) (STATE_CHANGED_LATCH, no key, automatic)"
    )


async def test_watch_for_a_while_with_nothing_happening(
    emulator: EmulatedBridge, config_file: Path
) -> None:
    emulator.registry.add("http://192.0.2.50:8123/api/webhook/home-assistant", 511)
    result = await run_cli(["--config", str(config_file), "watch", "--duration", "0.3"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "Watching the bridge" in result.stderr
    assert "(lock: night lock (locked))" in result.stderr
    assert "Removed the webhook registration." in result.stderr
    # Only its own registration is removed.
    assert [item.url for item in emulator.registry] == [
        "http://192.0.2.50:8123/api/webhook/home-assistant"
    ]


async def test_watch_says_so_when_it_cannot_remove_its_registration(
    emulator: EmulatedBridge, config_file: Path
) -> None:
    cli = asyncio.create_task(
        run_cli(
            [
                "--config",
                str(config_file),
                "--request-timeout",
                "0.5",
                "watch",
                "--duration",
                "1.5",
            ]
        )
    )
    await wait_for_registration(emulator)
    await emulator.set_bridge_down(down=True)
    async with asyncio.timeout(15):
        result = await cli
    assert result.exit_code == 0, result.stderr
    assert "Could not remove the webhook registration" in result.stderr
    assert "aioloqed webhooks remove ID" in result.stderr


async def test_watch_cannot_listen_on_a_busy_port(
    emulator: EmulatedBridge, config_file: Path
) -> None:
    args = ["--config", str(config_file), "watch", "--listen-host", "127.0.0.1"]
    result = await run_cli([*args, "--port", str(emulator.port)])
    assert_one_line_error(result, ExitCode.ERROR, "Cannot listen on 127.0.0.1")
    assert len(emulator.registry) == 0


async def test_watch_refused_registration_is_an_authentication_error(
    emulator: EmulatedBridge, tmp_path: Path
) -> None:
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(info(emulator) | {"bridge_key": OTHER_KEY}))
    result = await run_cli(["--config", str(path), "watch", "--duration", "5"])
    assert result.exit_code == ExitCode.AUTHENTICATION
    assert "Traceback" not in result.stderr


async def test_local_address_and_callback_url(socket_enabled: None) -> None:
    assert await local_address_toward("127.0.0.1", 80) == "127.0.0.1"
    assert callback_url("192.0.2.4", 8080, "/loqed/x") == "http://192.0.2.4:8080/loqed/x"
    assert callback_url("fd00::4", 8080, "/p") == "http://[fd00::4]:8080/p"
    assert callback_url("my-pc.local", 80, "/p") == "http://my-pc.local:80/p"


# ---------------------------------------------------------------------- discover


async def test_discover_finds_the_announcing_emulator(socket_enabled: None) -> None:
    mac = "c44f33" + secrets.token_hex(3)  # other test runs may announce bridges too
    config = fast_config(zeroconf=True, zeroconf_interface="127.0.0.1", mac_wifi=mac)
    async with EmulatedBridge(config) as emulator:
        assert emulator._announcer is not None
        async with asyncio.timeout(10):
            await emulator._announcer.registered.wait()
        args = ["discover", "--interface", "127.0.0.1", "--timeout", "1.5"]
        as_json = await run_cli([*args, "--json"])
        table = await run_cli(args)
    assert as_json.exit_code == 0, as_json.stderr
    (found,) = [item for item in json.loads(as_json.stdout) if item["mac"] == mac]
    assert found["host"] == "127.0.0.1"
    assert found["port"] == emulator.port
    assert found["name"] == f"LOQED-{mac}"
    assert f"LOQED-{mac}" in table.stdout


async def test_discover_with_nothing_to_find() -> None:
    """Run in a network namespace of its own, where nobody announces anything."""
    script = (
        "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo && "
        f"{sys.executable} -m aioloqed discover --interface 127.0.0.1 --timeout 0.5 && "
        f"{sys.executable} -m aioloqed --json discover --interface 127.0.0.1 --timeout 0.5"
    )
    process = await asyncio.create_subprocess_exec(
        "unshare",
        "-n",
        "sh",
        "-c",
        script,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    if process.returncode != 0 and b"unshare" in err:
        pytest.skip("no network namespaces here")
    assert process.returncode == 0, err
    assert err.decode().strip() == "No LOQED bridge answered within 0.5 s."
    assert json.loads(out) == []


def test_discover_without_zeroconf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zeroconf", None)
    result = CliRunner().invoke(app, ["discover"], env=CLEAN_ENV)
    assert result.exit_code == ExitCode.ERROR
    assert "pip install 'aioloqed[cli]'" in result.stderr


# ---------------------------------------------------------------------- entry points


def test_shim_explains_a_missing_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(sys.modules):
        if name == "aioloqed.cli" or name.startswith("aioloqed.cli."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "typer", None)
    with pytest.raises(SystemExit) as exit_info:
        _cli.main()
    assert exit_info.value.code == 1
    assert "pip install 'aioloqed[cli]'" in capsys.readouterr().err


def test_shim_does_not_hide_other_import_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(sys.modules):
        if name == "aioloqed.cli" or name.startswith("aioloqed.cli."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "aioloqed.cli.render", None)
    with pytest.raises(ModuleNotFoundError):
        _cli.main()


def test_shim_runs_the_app(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["aioloqed", "--version"])
    with pytest.raises(SystemExit) as exit_info:
        _cli.main()
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("aioloqed ")


# ---------------------------------------------------------------------- subprocesses


async def start_cli(*args: str, env: Mapping[str, str] | None = None) -> asyncio.subprocess.Process:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LOQED_")}
    environ.update(env or {})
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aioloqed",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environ,
    )


async def read_line_with(stream: asyncio.StreamReader, text: str) -> str:
    async with asyncio.timeout(20):
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise AssertionError(f"stream ended before {text!r}")
            if text in line:
                return line


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
async def test_watch_end_to_end_stops_cleanly_on_a_signal(
    emulator: EmulatedBridge, config_file: Path, stop_signal: signal.Signals
) -> None:
    process = await start_cli("--config", str(config_file), "watch", "--json")
    try:
        assert process.stdout is not None
        assert process.stderr is not None
        await read_line_with(process.stderr, "Watching the bridge")
        assert len(emulator.registry) == 1
        emulator.turn_knob(EmuBolt.DAY_LOCK)
        line = json.loads(await read_line_with(process.stdout, "verified"))
        assert line["event"]["event_type"] == "STATE_CHANGED_LATCH"
        process.send_signal(stop_signal)
        async with asyncio.timeout(20):
            _out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err
    assert b"Removed the webhook registration." in err
    assert b"Traceback" not in err
    assert len(emulator.registry) == 0


async def test_ctrl_c_during_a_request_exits_130(socket_enabled: None) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def hang(_request: web.Request) -> web.Response:
        started.set()
        await release.wait()
        return web.Response(text="{}")

    server = web.Application()
    server.router.add_get("/status", hang)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    process = await start_cli("--host", f"127.0.0.1:{port}", "--request-timeout", "60", "status")
    try:
        async with asyncio.timeout(20):
            await started.wait()
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(20):
            _out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        release.set()
        await runner.cleanup()
    assert process.returncode == ExitCode.INTERRUPTED
    assert err.decode().strip() == "Error: Interrupted"


async def test_module_entry_point_and_unusable_callback_address(
    emulator: EmulatedBridge, config_file: Path
) -> None:
    process = await start_cli("--config", str(config_file), "--host", "255.255.255.255", "watch")
    async with asyncio.timeout(30):
        out, err = await process.communicate()
    assert process.returncode == ExitCode.UNREACHABLE, err
    assert out == b""
    assert b"use --callback-host" in err
    assert len(emulator.registry) == 0


# ---------------------------------------------------------------------- rendering, pure


def test_every_event_kind_has_a_human_line() -> None:
    from aioloqed.events import parse_event

    lines: dict[str, dict[str, Any]] = {
        "motor stalled: lock jammed (key 1)": {
            "event_type": "MOTOR_STALL",
            "requested_state": "UNKNOWN",
            "key_local_id": 1,
        },
        "going to open (GO_TO_STATE_INSTANTOPEN_OPEN, key 3, touch to open)": {
            "go_to_state": "OPEN",
            "event_type": "GO_TO_STATE_INSTANTOPEN_OPEN",
            "key_local_id": 3,
        },
        "battery 88 % (nickel metal hydride)": {
            "battery_type": "NICKEL_METAL_HYDRIDE",
            "battery_percentage": 88,
        },
        "lock disconnected (Wi-Fi 40, Bluetooth -)": {"wifi_strength": 40, "ble_strength": -1},
        "unknown event SOMETHING_NEW": {"event_type": "SOMETHING_NEW"},
        "unknown event": {"hello": "world"},
    }
    for expected, payload in lines.items():
        assert render.describe_event(parse_event(payload)) == expected


def test_results_as_data_and_words(capsys: pytest.CaptureFixture[str]) -> None:
    from aioloqed.events import parse_event
    from aioloqed.webhook import RejectedWebhook, RejectReason, UnverifiableWebhook

    battery = parse_event({"battery_percentage": 5, "battery_type": 0})
    unverifiable = UnverifiableWebhook(battery)
    data = render.result_data(unverifiable, 1.5)
    assert data["result"] == "unverifiable"
    assert data["event"]["kind"] == "battery"
    assert data["event"]["battery_type"] == "alkaline"
    assert render.result_data(UnverifiableWebhook(None), 1.5)["event"] is None
    rejected = RejectedWebhook(RejectReason.BAD_HASH)
    assert render.result_data(rejected, 2.0) == {
        "result": "rejected",
        "received_at": 2.0,
        "reason": RejectReason.BAD_HASH,
        "skew": None,
    }
    render.show_result(rejected, 2.0, as_json=False)
    render.show_result(UnverifiableWebhook(None), 2.0, as_json=False)
    render.show_result(rejected, 2.0, as_json=True)
    first, second, third = capsys.readouterr().out.splitlines()
    assert first.endswith("REJECTED (bad hash)")
    assert second.endswith("not trusted): no JSON body")
    assert json.loads(third)["reason"] == "bad_hash"


def test_status_with_missing_values_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    from aioloqed.models import BridgeStatus

    render.show_status(BridgeStatus.from_dict({"up_timestamp": 10**20}), as_json=False)
    out = capsys.readouterr().out
    assert "unknown" in out
    assert str(10**20) in out
    render.show_status(BridgeStatus.from_dict({"ble_strength": -1}), as_json=False)
    out = capsys.readouterr().out
    assert "Lock connected        no" in out or "no" in out.split("Lock connected")[1][:40]


def test_other_library_errors_exit_1() -> None:
    from aioloqed.cli.errors import explain
    from aioloqed.exceptions import LoqedError, LoqedVerificationError
    from aioloqed.webhook import RejectReason

    assert explain(LoqedError()).code == ExitCode.ERROR
    assert str(explain(LoqedError())) == "LoqedError"
    assert explain(LoqedVerificationError(RejectReason.STALE)).code == ExitCode.ERROR


async def test_unresolvable_bridge_name_has_a_clear_error(socket_enabled: None) -> None:
    from aioloqed.cli.errors import CliError

    with pytest.raises(CliError) as err:
        async with asyncio.timeout(30):
            await local_address_toward("loqed-test.invalid", 80)
    assert err.value.code == ExitCode.UNREACHABLE
    assert "use --callback-host" in str(err.value)


def test_verified_result_without_a_lock_state() -> None:
    from aioloqed.events import parse_event
    from aioloqed.webhook import VerifiedWebhook

    event = parse_event({"battery_percentage": 5})
    data = render.result_data(VerifiedWebhook(event, 10, -0.5), 10.5)
    assert data["result"] == "verified"
    assert "lock_state" not in data
