"""End-to-end scenarios against a real Home Assistant; prints one JSON report on stdout.

Run by tests/e2e (which asserts on the report) and usable by hand::

    python -m tools.e2e_scenario loqed     # emulator + HA + config flow + lock/unlock/open/knob
    python -m tools.e2e_scenario bare      # HA alone: start, onboarded, token, websocket, stop

It moves itself into a private network namespace first (`tools.netns`) unless it already is in
one. Every wait is bounded; a failure is reported in the JSON (``ok: false`` and ``error``), with
the relevant log lines, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from pathlib import Path
import shutil
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any

from tools.hass_harness import HassUser, HomeAssistant, JSONObject
from tools.netns import enter_private_netns, in_private_netns
from tools.scenario import (
    DOMAIN,
    LoqedStack,
    dumps,
    lock_state,
    run_lock_steps,
)

if TYPE_CHECKING:
    from collections.abc import Sequence


async def bare(workdir: Path) -> JSONObject:
    """Start Home Assistant without custom integrations; check what a client needs; stop."""
    report: JSONObject = {"scenario": "bare", "ok": False}
    hass = HomeAssistant(workdir / "hass", custom_components=(), keep_config_dir=True)
    began = time.monotonic()
    try:
        await hass.start()
        report["start_seconds"] = round(time.monotonic() - began, 3)
        config = await hass.get("/api/config")
        report["state"] = config.get("state")
        report["version"] = config.get("version")
        report["internal_url"] = config.get("internal_url")
        report["url"] = hass.url
        report["onboarding_status"] = await _onboarding_status(hass)
        async with hass.websocket() as ws:
            user = await ws.command({"type": "auth/current_user"})
            report["user"] = {"name": user.get("name"), "is_admin": user.get("is_admin")}
            report["entity_registry_size"] = len(await ws.entity_registry())
        report["log_exists"] = hass.log_path.exists()
        port, pid_before = hass.port, hass.pid
        await hass.restart()
        config = await hass.get("/api/config")
        report["restart"] = {
            "state": config.get("state"),
            "same_port": hass.port == port,
            "new_process": hass.pid != pid_before,
        }
        report["ok"] = True
    except Exception as err:  # noqa: BLE001 - reported in the JSON
        report["error"] = f"{type(err).__name__}: {err}"
    finally:
        pid = hass.pid
        report["exit_code"] = await hass.stop()
        report["process_gone"] = pid is None or not _process_exists(pid)
    return report


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _onboarding_status(hass: HomeAssistant) -> int:
    """HTTP status of /api/onboarding: 404 means onboarding is done (nothing left to do)."""
    async with hass.session.get(f"{hass.url}/api/onboarding") as resp:
        return resp.status


async def loqed(workdir: Path, *, motor_time: float, relatch_time: float) -> JSONObject:
    """Run the whole user story; report the evidence the end-to-end test asserts on."""
    report: JSONObject = {"scenario": "loqed", "ok": False, "motor_time": motor_time}
    stack = LoqedStack(
        workdir, user=HassUser("e2e"), motor_time=motor_time, relatch_time=relatch_time
    )
    try:
        await stack.start()
        report["timings"] = {k: round(v, 3) for k, v in vars_of(stack.timings).items()}
        entries = await stack.hass.config_entries(DOMAIN)
        report["entries"] = [
            {"state": e.get("state"), "title": e.get("title"), "source": e.get("source")}
            for e in entries
        ]
        report["flow_result_state"] = stack.entry.get("state")
        report["lock_entity"] = stack.lock_entity
        report["initial_state"] = await lock_state(stack)
        registration = await stack.emulator.wait_for_registration()
        report["registrations"] = await stack.emulator.registrations()
        report["registration_host"] = registration.get("host")
        report["polls_before_steps"] = stack.poll_count()
        async with stack.hass.websocket() as ws:
            results = await run_lock_steps(stack, ws)
        report["steps"] = [r.to_json() for r in results]
        report["polls_after_steps"] = stack.poll_count()
        report["ok"] = bool(results) and all(r.ok for r in results)
    except Exception as err:  # noqa: BLE001 - reported in the JSON
        report["error"] = f"{type(err).__name__}: {err}"
    finally:
        report["integration_log_problems"] = stack.integration_log_problems()[:40]
        report["secrets_in_logs"] = _secrets_in_logs(stack)
        if not report["ok"]:
            report["emulator_output"] = stack.emulator.output_tail(40)
            report["hass_log_tail"] = _our_log_lines(stack)[-60:]
        await stack.stop()
    return report


def vars_of(obj: Any) -> dict[str, float]:
    """Return a slots dataclass's fields as a dict."""
    return {name: getattr(obj, name) for name in obj.__slots__}


def _our_log_lines(stack: LoqedStack) -> list[str]:
    return [
        line
        for line in stack.hass.log_text().splitlines()
        if "loqed_bridge" in line or "aioloqed" in line or "Traceback" in line
    ]


def _secrets_in_logs(stack: LoqedStack) -> list[str]:
    """Names of the log files that contain a key from the Integration information."""
    try:
        keys = stack.secrets()
    except (ValueError, KeyError):
        return []
    files = {
        "home-assistant.log": stack.hass.config_dir / "home-assistant.log",
        "hass stdout": stack.hass.config_dir / "stdout.log",
        "emulator output": stack.emulator.output_path,
    }
    found: list[str] = []
    for name, path in files.items():
        with contextlib.suppress(OSError):
            text = path.read_text(encoding="utf-8", errors="replace")
            if any(key in text for key in keys):
                found.append(name)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Run a scenario; print its JSON report; exit 0 only if it passed."""
    parser = argparse.ArgumentParser(prog="python -m tools.e2e_scenario", description=__doc__)
    parser.add_argument("scenario", choices=("loqed", "bare"))
    parser.add_argument("--motor-time", type=float, default=1.0, help="emulated motor seconds")
    parser.add_argument(
        "--relatch-time", type=float, default=1.5, help="seconds the latch stays open"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args(argv)
    if not in_private_netns():
        enter_private_netns()
    workdir = Path(tempfile.mkdtemp(prefix=f"loqed-e2e-{args.scenario}-"))
    try:
        if args.scenario == "bare":
            report = asyncio.run(bare(workdir))
        else:
            report = asyncio.run(
                loqed(workdir, motor_time=args.motor_time, relatch_time=args.relatch_time)
            )
    finally:
        if args.keep:
            sys.stderr.write(f"e2e: kept {workdir}\n")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report["workdir"] = str(workdir) if args.keep else None
    report["config_dir_removed"] = not workdir.exists()
    sys.stdout.write(dumps(report) + "\n")
    return 0 if report.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
