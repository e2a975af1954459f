"""Command line: --help, flags to configuration, start-up output, info file, signals."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING

import aiohttp
import pytest
from tests.emulator.helpers import LOCK_KEY, WAIT, fast_config

from loqed_emulator import BatteryType, BoltState
from loqed_emulator.cli import build_parser, config_from_args, main, run

if TYPE_CHECKING:
    from pathlib import Path

KEY_B64 = base64.b64encode(LOCK_KEY).decode()
OTHER_B64 = base64.b64encode(bytes(range(50, 82))).decode()
FLAGS = [
    "--host", "--port", "--control-host", "--control-port", "--ip", "--zeroconf",
    "--zeroconf-interface", "--name", "--mac-wifi", "--mac-ble", "--lock-id", "--bridge-key",
    "--backend-key", "--lock-key", "--local-key-id", "--key", "--info-file", "--motor-time",
    "--relatch-time", "--battery-interval", "--battery", "--battery-type", "--state",
    "--webhook-timeout", "--content-type", "--latency-ms", "--bridge-down", "--http-500",
    "--malformed-json", "--unsigned-webhooks", "--lose-webhooks", "--webhook-loss-rate",
    "--clock-offset", "--motor-stall", "--seed", "--log-level",
]  # fmt: skip


def test_help_documents_every_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    text = capsys.readouterr().out
    for flag in FLAGS:
        assert flag in text, flag
    assert "python -m loqed_emulator" in text


def test_flags_to_config(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        [
            "--port", "8081", "--control-port", "8082", "--ip", "192.0.2.5",
            "--key", f"7:{OTHER_B64}", "--lock-key", KEY_B64, "--local-key-id", "3",
            "--bridge-key", KEY_B64, "--backend-key", OTHER_B64, "--motor-time", "0.5",
            "--relatch-time", "1", "--battery-interval", "60", "--battery", "40",
            "--battery-type", "alkaline", "--state", "day_lock", "--mac-wifi", "AA:BB:CC:00:11:22",
            "--name", "Back door", "--info-file", str(tmp_path / "i.json"),
            "--content-type", "json", "--latency-ms", "20", "--http-500", "--malformed-json",
            "--unsigned-webhooks", "--lose-webhooks", "2", "--webhook-loss-rate", "0.1",
            "--clock-offset", "-30", "--motor-stall", "--bridge-down", "--seed", "4",
            "--zeroconf", "--zeroconf-interface", "127.0.0.1", "--lock-id", "L1",
        ]
    )  # fmt: skip
    config = config_from_args(args)
    assert config.lock_keys == {7: bytes(range(50, 82)), 3: LOCK_KEY}
    assert config.primary_key_id == 3
    assert config.bridge_key == LOCK_KEY
    assert config.backend_key == bytes(range(50, 82))
    assert (config.port, config.control_port, config.reported_ip) == (8081, 8082, "192.0.2.5")
    assert (config.motor_time, config.relatch_time, config.battery_interval) == (0.5, 1.0, 60.0)
    assert (config.battery_percentage, config.battery_type) == (40.0, BatteryType.ALKALINE)
    assert config.bolt_state is BoltState.DAY_LOCK
    assert (config.mac_wifi, config.mac_ble) == ("aabbcc001122", "aabbcc001124")
    assert (config.name, config.lock_id, config.bridge_down) == ("Back door", "L1", True)
    assert (config.zeroconf, config.zeroconf_interface) == (True, "127.0.0.1")
    faults = config.faults
    assert faults.content_type == "json"
    assert (faults.latency_ms, faults.http_500, faults.malformed_json) == (20.0, True, True)
    assert (faults.unsigned_webhooks, faults.lose_next_webhooks) == (True, 2)
    assert (faults.webhook_loss_rate, faults.clock_offset, faults.motor_stall_next) == (
        0.1,
        -30.0,
        True,
    )
    assert faults.seed == 4


def test_primary_key_defaults() -> None:
    parser = build_parser()
    assert config_from_args(parser.parse_args([])).lock_keys.keys() == {1}
    only_keys = config_from_args(
        parser.parse_args(["--key", f"9:{KEY_B64}", "--key", f"4:{OTHER_B64}"])
    )
    assert only_keys.primary_key_id == 9
    with_lock_key = config_from_args(parser.parse_args(["--lock-key", KEY_B64]))
    assert with_lock_key.lock_keys == {1: LOCK_KEY}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--key", "nonsense"], "--key must look like ID:BASE64"),
        (["--lock-key", "AAAA"], "--lock-key must decode to 16..64 bytes"),
        (["--state", "ajar"], "state must be one of"),
        (["--state", "open"], "must not be open"),
        (["--battery-type", "lead"], "battery type must be one of"),
        (["--webhook-loss-rate", "3"], "webhook_loss_rate must be between"),
        (["--port", "99999"], "port must be 0..65535"),
    ],
)
def test_bad_flags_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


async def test_run_prints_urls_and_writes_info(
    socket_enabled: None, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    info = tmp_path / "info.json"
    lines: list[str] = []
    stop = asyncio.Event()
    task = asyncio.create_task(run(fast_config(info_file=info), stop=stop, out=lines.append))
    async with asyncio.timeout(WAIT):
        while not any("Integration information written" in line for line in lines):
            await asyncio.sleep(0.01)
    data = json.loads(info.read_text())
    bridge_line = next(line for line in lines if "bridge API" in line)
    url = bridge_line.split()[-1]
    assert data["bridge_ip"] == url.removeprefix("http://")
    async with http.get(f"{url}/status") as response:
        assert response.status == 200
    assert not any(KEY_B64 in line for line in lines)
    stop.set()
    async with asyncio.timeout(WAIT):
        await task
    assert lines[-1] == "stopping"


async def test_run_without_info_file_says_how(socket_enabled: None) -> None:
    lines: list[str] = []
    stop = asyncio.Event()
    task = asyncio.create_task(run(fast_config(), stop=stop, out=lines.append))
    async with asyncio.timeout(WAIT):
        while len(lines) < 5:
            await asyncio.sleep(0.01)
    stop.set()
    await task
    assert any("--info-file" in line for line in lines)


def test_main_runs_until_sigterm(
    socket_enabled: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info = tmp_path / "info.json"

    def stop_when_started() -> None:
        deadline = time.monotonic() + WAIT
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=stop_when_started)
    killer.start()
    try:
        code = main(["--info-file", str(info), "--motor-time", "0", "--battery-interval", "0"])
    finally:
        killer.join()
    assert code == 0
    out = capsys.readouterr().out
    assert "bridge API:   http://127.0.0.1:" in out
    assert out.rstrip().endswith("stopping")


def test_main_reports_a_busy_port(socket_enabled: None, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port), "--battery-interval", "0"]) == 1
    assert "cannot start the emulator" in capsys.readouterr().err


async def test_python_m_subprocess(socket_enabled: None, tmp_path: Path) -> None:
    info = tmp_path / "info.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(["emulator", os.environ.get("PYTHONPATH", "")]),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "loqed_emulator", "--info-file", str(info), "--motor-time", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    try:
        async with asyncio.timeout(20):
            while not info.exists():
                await asyncio.sleep(0.05)
        data = json.loads(info.read_text())
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://{data['bridge_ip']}/status") as response,
        ):
            assert response.status == 200
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(20):
            out, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    assert b"stopping" in out
