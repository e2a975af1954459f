"""Run the bridge emulator (``python -m loqed_emulator``) as a process and use its control API.

The emulator is a separate process on purpose: Home Assistant talks to it over real loopback HTTP
exactly as it would talk to a bridge, and the emulator posts signed webhooks back to Home
Assistant. The control API (``/api/state``, ``/api/operations/<name>``, ``/api/faults``) does
what a person at the door would do; see docs/emulator.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from tools.hass_harness import (
    JSONObject,
    child_env,
    die_with_parent,
    terminate,
)
from tools.lifecycle import StartStop

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

_URL_LINES = {
    "bridge_url": re.compile(r"bridge API:\s+(\S+)"),
    "control_url": re.compile(r"control page:\s+(\S+?)/?$", re.MULTILINE),
}
_POLL_INTERVAL = 0.05


class EmulatorError(RuntimeError):
    """The emulator did not start, or its control API refused a request."""


class EmulatorProcess(StartStop):
    """One ``python -m loqed_emulator`` process, started in ``workdir``.

    ``args`` are further command-line flags (``--motor-time``, faults...). `start` returns once
    the Integration information file is written and both URLs are known.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        port: int = 0,
        control_port: int = 0,
        args: Sequence[str] = (),
        startup_timeout: float = 20,
        stop_timeout: float = 5,
        request_timeout: float = 10,
    ) -> None:
        """Describe the process; nothing runs before `start`."""
        self.workdir = workdir
        self.port = port
        self.control_port = control_port
        self.args = tuple(args)
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.request_timeout = request_timeout
        self.info_file = workdir / "integration-information.json"
        self.output_path = workdir / "emulator.log"
        self.bridge_url = ""
        self.control_url = ""
        self.info_text = ""
        self._process: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None
        self._output: Any = None

    @property
    def info(self) -> JSONObject:
        """The Integration information (holds keys: never print it)."""
        result: JSONObject = json.loads(self.info_text)
        return result

    @property
    def page_url(self) -> str:
        """The emulator's web page (a person's view of the door)."""
        return f"{self.control_url}/"

    @property
    def listening_control_port(self) -> int:
        """The port the control API and page listen on (known after `start`)."""
        port = urlsplit(self.control_url).port
        if port is None:
            raise EmulatorError("the emulator's control port is not known yet (call start)")
        return port

    @property
    def pid(self) -> int | None:
        """Process id while it runs."""
        return self._process.pid if self._process is not None else None

    def command(self) -> list[str]:
        """Return the command line that `start` runs."""
        return [
            sys.executable,
            "-m",
            "loqed_emulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--control-port",
            str(self.control_port),
            "--info-file",
            str(self.info_file),
            *self.args,
        ]

    async def start(self) -> None:
        """Start the process; wait until it serves and has written the Integration information."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.info_file.unlink(missing_ok=True)
        self._output = self.output_path.open("ab")
        self._process = await asyncio.create_subprocess_exec(
            *self.command(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._output,
            stderr=asyncio.subprocess.STDOUT,
            env=child_env(),
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.request_timeout)
        )
        deadline = time.monotonic() + self.startup_timeout
        while not self._read_startup():
            if self._process.returncode is not None:
                raise EmulatorError(
                    f"the emulator exited with {self._process.returncode}: {self.output_tail()}"
                )
            if time.monotonic() > deadline:
                raise EmulatorError(
                    f"the emulator did not start within {self.startup_timeout} s: "
                    f"{self.output_tail()}"
                )
            await asyncio.sleep(_POLL_INTERVAL)

    def _read_startup(self) -> bool:
        try:
            output = self.output_path.read_text(encoding="utf-8", errors="replace")
            info_text = self.info_file.read_text(encoding="utf-8")
            json.loads(info_text)
        except (OSError, ValueError):
            return False
        urls = {name: pattern.search(output) for name, pattern in _URL_LINES.items()}
        if any(match is None for match in urls.values()):
            return False
        self.bridge_url = urls["bridge_url"].group(1)  # type: ignore[union-attr]
        self.control_url = urls["control_url"].group(1).rstrip("/")  # type: ignore[union-attr]
        self.info_text = info_text
        return True

    def output_tail(self, lines: int = 30) -> str:
        """Return the end of the emulator's output (it never prints keys)."""
        try:
            text = self.output_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def stop(self) -> int | None:
        """Stop the process (SIGTERM, bounded wait, SIGKILL). Idempotent."""
        code: int | None = None
        process, self._process = self._process, None
        if process is not None:
            code = await terminate(process, self.stop_timeout, name="the emulator")
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._output is not None:
            self._output.close()
            self._output = None
        return code

    # ------------------------------------------------------------------ control API
    async def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        if self._session is None:
            raise EmulatorError("the emulator is not running")
        async with self._session.request(
            method, f"{self.control_url}{path}", json=None if body is None else dict(body)
        ) as resp:
            answer = await resp.json(content_type=None)
            if resp.status >= 400:  # noqa: PLR2004 - HTTP error range
                message = answer.get("error") if isinstance(answer, dict) else answer
                raise EmulatorError(f"{method} {path}: HTTP {resp.status}: {message}")
            return answer

    async def snapshot(self) -> JSONObject:
        """Everything the page shows: lock, bridge, webhooks, deliveries, events (newest first)."""
        result: JSONObject = await self._call("GET", "/api/state")
        return result

    async def operate(self, name: str, **body: Any) -> JSONObject:
        """Do a manual operation at the door, e.g. ``operate("knob", state="day_lock")``."""
        result: JSONObject = await self._call("POST", f"/api/operations/{name}", body)
        return result

    async def set_faults(self, **changes: Any) -> JSONObject:
        """Switch faults at run time (``set_faults(bridge_down=True)``)."""
        result: JSONObject = await self._call("POST", "/api/faults", changes)
        return result

    async def deliveries(self) -> list[JSONObject]:
        """Return the webhook delivery log, oldest first."""
        snapshot = await self.snapshot()
        return list(reversed(snapshot.get("deliveries", [])))

    async def registrations(self) -> list[JSONObject]:
        """Return the webhooks registered on the bridge (targets by host only)."""
        snapshot = await self.snapshot()
        return list(snapshot.get("webhooks", []))

    async def wait_for_registration(self, *, within: float = 15) -> JSONObject:
        """Wait until a webhook is registered on the bridge; return the first registration."""
        deadline = time.monotonic() + within
        while True:
            registrations = await self.registrations()
            if registrations:
                return registrations[0]
            if time.monotonic() > deadline:
                raise EmulatorError(f"no webhook was registered on the bridge within {within} s")
            await asyncio.sleep(_POLL_INTERVAL)


async def read_snapshot_safely(emulator: EmulatorProcess) -> JSONObject:
    """Return the emulator's snapshot, or {} when it cannot be read (for reports)."""
    with contextlib.suppress(EmulatorError, aiohttp.ClientError, TimeoutError):
        return await emulator.snapshot()
    return {}
