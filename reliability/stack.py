"""The run's moving parts: emulated bridges (that can move), Home Assistant, config entries.

Built on the repository's harness (`tools.hass_harness`, `tools.emulator_process`), which it
wraps without changing: a bridge here has a fixed identity (MACs and keys chosen by the suite),
so it can be stopped and started again elsewhere as the same bridge; Home Assistant gets a
configuration with ``zeroconf``, ``repairs`` and ``diagnostics`` and, when asked, shortened
intervals (see ``hass_site/sitecustomize.py``).
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
import json
import os
from pathlib import Path
import secrets
import time
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import aiohttp
from tools.emulator_process import EmulatorProcess
from tools.hass_harness import (
    REPO_ROOT,
    HassApiError,
    HassUser,
    HomeAssistant,
    JSONObject,
    free_port,
    load_base_configuration,
)
import yaml  # type: ignore[import-untyped,unused-ignore]

from aioloqed import LoqedBridge, WebhookRegistration
from reliability.logs import LogFile
from reliability.secrets_scan import Secret

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    import random

    from tools.hass_harness import HassWebSocket

DOMAIN: Final = "loqed_bridge"
LOOPBACK: Final = "127.0.0.1"
SITE_DIR: Final = Path(__file__).resolve().parent / "hass_site"
OVERRIDES_ENV: Final = "LOQED_RELIABILITY_OVERRIDES"
WEBHOOK_PATH: Final = "/api/webhook/"
HA_STATE: Final = {"night_lock": "locked", "day_lock": "unlocked", "open": "open"}
"""Home Assistant's lock state for each bolt state of the bridge."""
OPPOSITE: Final = {"locked": "day_lock", "unlocked": "night_lock", "open": "night_lock"}
"""A knob position that changes what Home Assistant shows."""
EXTRA_COMPONENTS: Final = ("zeroconf", "repairs", "diagnostics")
_POLL: Final = 0.1


def hass_state_of(bolt_state: str) -> str:
    """Home Assistant's lock state for a bridge bolt state (``unknown`` otherwise)."""
    return HA_STATE.get(bolt_state, "unknown")


async def wait_until(
    check: Callable[[], Any],
    within: float,
    *,
    interval: float = _POLL,
) -> float | None:
    """Call ``check`` (sync or async) until it is true; return the seconds it took, or None."""
    began = time.monotonic()
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return time.monotonic() - began
        if time.monotonic() - began > within:
            return None
        await asyncio.sleep(interval)


@dataclass(frozen=True, slots=True, repr=False)
class Identity:
    """What makes a bridge that bridge: its name, MACs and keys."""

    name: str
    mac_wifi: str
    bridge_key: str
    lock_key: str
    backend_key: str
    lock_id: str
    local_key_id: int = 1

    @classmethod
    def generate(cls, name: str, rng: random.Random) -> Identity:
        """Return a new identity: Espressif MAC from ``rng``, keys from the operating system."""
        return cls(
            name=name,
            mac_wifi="c44f33" + "".join(rng.choice("0123456789abcdef") for _ in range(6)),
            bridge_key=base64.b64encode(secrets.token_bytes(32)).decode(),
            lock_key=base64.b64encode(secrets.token_bytes(32)).decode(),
            backend_key=base64.b64encode(secrets.token_bytes(32)).decode(),
            lock_id="".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(20)),
        )

    def __repr__(self) -> str:
        """Name and MAC only."""
        return f"Identity({self.name!r}, {self.mac_wifi})"

    @property
    def mac_ble(self) -> str:
        """The Bluetooth MAC the emulator derives (Wi-Fi MAC + 2)."""
        return f"{int(self.mac_wifi, 16) + 2:012x}"

    @property
    def bridge_key_bytes(self) -> bytes:
        """The bridge key's bytes."""
        return base64.b64decode(self.bridge_key)

    def flags(self) -> list[str]:
        """Return the emulator flags that give it this identity."""
        return [
            "--name",
            self.name,
            "--mac-wifi",
            self.mac_wifi,
            "--lock-id",
            self.lock_id,
            "--bridge-key",
            self.bridge_key,
            "--lock-key",
            self.lock_key,
            "--backend-key",
            self.backend_key,
            "--local-key-id",
            str(self.local_key_id),
        ]

    def secrets(self) -> list[Secret]:
        """Return the keys, as secrets to look for."""
        owner = f"bridge {self.name}"
        return [
            Secret("bridge key", owner, self.bridge_key),
            Secret("lock key", owner, self.lock_key),
            Secret("backend key", owner, self.backend_key),
        ]


class Emulator(EmulatorProcess):
    """The harness's emulator process, plus the control calls the suite needs."""

    async def control(self, method: str, path: str, body: JSONObject | None = None) -> Any:
        """Any control API call (``/api/...``)."""
        return await self._call(method, path, body)

    async def reboot(self, downtime: float = 0.0) -> Any:
        """Reboot the bridge: it forgets every webhook registration."""
        return await self._call("POST", "/api/reboot", {"downtime": downtime})


class Bridge:
    """One emulated bridge with a fixed identity and port; it can be restarted on another host."""

    def __init__(
        self,
        root: Path,
        identity: Identity,
        *,
        port: int,
        motor_time: float,
        relatch_time: float,
        extra_args: Sequence[str] = (),
    ) -> None:
        """Describe it; `start` runs it."""
        self.root = root
        self.identity = identity
        self.port = port
        self.host = LOOPBACK
        self.motor_time = motor_time
        self.relatch_time = relatch_time
        self.extra_args = tuple(extra_args)
        self.process: Emulator | None = None
        self.workdirs: list[Path] = []
        self.snapshots: list[JSONObject] = []
        """Control API snapshots taken before each stop (the emulator's view, for the scan)."""

    @property
    def name(self) -> str:
        """The bridge's name."""
        return self.identity.name

    @property
    def emulator(self) -> Emulator:
        """The running emulator process."""
        if self.process is None:
            raise RuntimeError(f"bridge {self.name} is not running")
        return self.process

    async def start(
        self, *, host: str = LOOPBACK, state: str | None = None, zeroconf: bool = False
    ) -> None:
        """Start the emulator on ``host`` (same port, same identity)."""
        self.host = host
        workdir = self.root / f"run-{len(self.workdirs) + 1}"
        self.workdirs.append(workdir)
        args = [
            *self.identity.flags(),
            "--motor-time",
            str(self.motor_time),
            "--relatch-time",
            str(self.relatch_time),
            *self.extra_args,
        ]
        if host != LOOPBACK:
            args += ["--host", host]
        if state is not None:
            args += ["--state", state]
        if zeroconf:
            args.append("--zeroconf")
        process = Emulator(workdir, port=self.port, args=args)
        await process.start()
        self.process = process

    async def stop(self) -> None:
        """Keep the emulator's last view, then stop it."""
        if self.process is None:
            return
        try:
            self.snapshots.append(await self.process.snapshot())
        except Exception:  # noqa: BLE001 - the snapshot is evidence, not a requirement
            self.snapshots.append({})
        await self.process.stop()
        self.process = None

    def client(self, session: aiohttp.ClientSession) -> LoqedBridge:
        """Return an aioloqed client for webhook management (sees the full registered URLs)."""
        return LoqedBridge(
            host=self.host,
            port=self.port,
            bridge_key=self.identity.bridge_key,
            session=session,
            status_retries=1,
            request_timeout=5,
        )

    async def registrations(self, session: aiohttp.ClientSession) -> list[WebhookRegistration]:
        """Every registration on the bridge, with full URLs."""
        return await self.client(session).webhooks()

    async def snapshot(self) -> JSONObject:
        """Return the emulator's control snapshot."""
        return await self.emulator.snapshot()

    async def lock(self) -> JSONObject:
        """Return the lock part of the snapshot (``bolt_state``, ``motion``...)."""
        snapshot = await self.snapshot()
        lock: JSONObject = snapshot["lock"]
        return lock

    async def knob(self, state: str) -> None:
        """Turn the knob at the door."""
        await self.emulator.operate("knob", state=state)

    async def set_faults(self, **changes: Any) -> JSONObject:
        """Switch faults."""
        return await self.emulator.set_faults(**changes)

    async def settle(self, within: float = 15.0) -> bool:
        """Wait until the lock is at rest and every webhook is sent."""

        async def at_rest() -> bool:
            snapshot = await self.snapshot()
            lock = snapshot["lock"]
            return (
                lock.get("motion") is None
                and not lock.get("relatch_pending")
                and not snapshot["bridge"].get("pending_webhooks")
            )

        return await wait_until(at_rest, within, interval=0.05) is not None

    async def events_since(self, since: float) -> list[JSONObject]:
        """Return the emulator's event log (oldest first) from wall time ``since``."""
        snapshot = await self.snapshot()
        return [e for e in reversed(snapshot.get("events", [])) if float(e["time"]) >= since]

    async def deliveries_since(self, since: float) -> list[JSONObject]:
        """Return the emulator's webhook delivery log (oldest first) from wall time ``since``."""
        snapshot = await self.snapshot()
        return [d for d in reversed(snapshot.get("deliveries", [])) if float(d["time"]) >= since]

    def log_paths(self) -> list[Path]:
        """Return the emulator's output of every run."""
        return [workdir / "emulator.log" for workdir in self.workdirs]

    def log(self) -> LogFile:
        """Return the current run's output."""
        return LogFile(self.log_paths()[-1])


@dataclass(slots=True, repr=False)
class Entry:
    """A ``loqed_bridge`` config entry for one bridge."""

    entry_id: str
    title: str
    webhook_id: str
    bridge: Bridge
    lock_entity: str

    def __repr__(self) -> str:
        """Never the webhook id."""
        return f"Entry({self.title!r}, {self.lock_entity})"

    def is_ours(self, registration: WebhookRegistration) -> bool:
        """Whether a bridge registration points at this entry's webhook."""
        return urlsplit(registration.url).path == f"{WEBHOOK_PATH}{self.webhook_id}"


def find_counters(data: Any) -> dict[str, Any] | None:
    """Find ``push.counters`` anywhere in a diagnostics download."""
    if isinstance(data, dict):
        push = data.get("push")
        if isinstance(push, dict) and isinstance(push.get("counters"), dict):
            return dict(push["counters"])
        for value in data.values():
            found = find_counters(value)
            if found is not None:
                return found
    return None


def counter_delta(before: dict[str, int] | None, after: dict[str, int] | None) -> dict[str, int]:
    """Return what each counter grew by ({} when the counters are not known)."""
    if before is None or after is None:
        return {}
    return {
        k: after.get(k, 0) - before.get(k, 0)
        for k in sorted(after)
        if after.get(k, 0) != before.get(k, 0)
    }


def hass_environment(overrides: dict[str, float]) -> dict[str, str]:
    """Environment of the Home Assistant process: the acceleration hook when there are overrides."""
    if not overrides:
        return {}
    paths = [str(SITE_DIR), str(REPO_ROOT / "src"), str(REPO_ROOT / "emulator"), str(REPO_ROOT)]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    return {"PYTHONPATH": os.pathsep.join(paths), OVERRIDES_ENV: json.dumps(overrides)}


def write_hass_configuration(path: Path) -> Path:
    """Write the run's configuration.yaml: the repository's, plus zeroconf, repairs, diagnostics."""
    config = load_base_configuration()
    for component in EXTRA_COMPONENTS:
        config.setdefault(component, None)
    config.setdefault("homeassistant", {})["name"] = "LOQED reliability"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


class Stack:
    """Home Assistant, the bridges, the entries; started and stopped together."""

    def __init__(
        self,
        workdir: Path,
        *,
        rng: random.Random,
        overrides: dict[str, float],
        motor_time: float = 1.0,
        relatch_time: float = 1.5,
    ) -> None:
        """Lay out the work directory; `start` runs things."""
        self.workdir = workdir
        self.rng = rng
        self.motor_time = motor_time
        self.relatch_time = relatch_time
        self.overrides = dict(overrides)
        self.hass = HomeAssistant(
            workdir / "hass",
            user=HassUser("reliability"),
            base_configuration=write_hass_configuration(workdir / "configuration.yaml"),
            keep_config_dir=True,
            env=hass_environment(self.overrides),
        )
        self.bridges: list[Bridge] = []
        self.entries: list[Entry] = []
        self.removed: list[Entry] = []
        self.archived_logs: list[str] = []
        self.diagnostics_failures: list[str] = []
        """Diagnostics downloads that failed during the run (the suite reads them often)."""
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The suite's own HTTP client (webhook posts, bridge management)."""
        if self._session is None:
            raise RuntimeError("the stack is not started")
        return self._session

    @property
    def log(self) -> LogFile:
        """Home Assistant's log."""
        return LogFile(self.hass.log_path)

    async def start(self) -> Entry:
        """Start the main bridge and Home Assistant; add the main entry and return it."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        main = await self.new_bridge("main")
        await self.hass.start()
        return await self.add_entry(main)

    async def new_bridge(self, name: str, *, extra_args: Sequence[str] = ()) -> Bridge:
        """Start a further emulated bridge on a free port of 127.0.0.1."""
        bridge = Bridge(
            self.workdir / f"bridge-{name}",
            Identity.generate(name, self.rng),
            port=free_port(),
            motor_time=self.motor_time,
            relatch_time=self.relatch_time,
            extra_args=extra_args,
        )
        await bridge.start()
        self.bridges.append(bridge)
        return bridge

    async def add_entry(self, bridge: Bridge) -> Entry:
        """Add the bridge through the config flow (paste), as a user does; wait for push."""
        result = await self.hass.config_flow(
            DOMAIN,
            [{"next_step_id": "paste"}, {"integration_information": bridge.emulator.info_text}],
        )
        entry_id = str(result["result"]["entry_id"])
        title = str(result["result"].get("title"))
        webhook_id = await self._webhook_id_on(bridge)
        lock_entity = await self._lock_entity(entry_id)
        entry = Entry(entry_id, title, webhook_id, bridge, lock_entity)
        self.entries.append(entry)
        return entry

    async def _webhook_id_on(self, bridge: Bridge, within: float = 20.0) -> str:
        """Read our webhook id from the bridge's registration list (the one URL pointing at us)."""
        found: list[str] = []

        async def registered() -> bool:
            known = {e.webhook_id for e in self.entries}
            for registration in await bridge.registrations(self.session):
                path = urlsplit(registration.url).path
                if path.startswith(WEBHOOK_PATH) and path[len(WEBHOOK_PATH) :] not in known:
                    found.append(path[len(WEBHOOK_PATH) :])
                    return True
            return False

        if await wait_until(registered, within, interval=0.2) is None:
            raise RuntimeError(f"no webhook registration appeared on bridge {bridge.name}")
        return found[0]

    async def _lock_entity(self, entry_id: str, within: float = 20.0) -> str:
        found: list[str] = []

        async def exists() -> bool:
            for item in await self.hass.entity_registry():
                entity_id = str(item["entity_id"])
                if (
                    item.get("config_entry_id") == entry_id
                    and entity_id.startswith("lock.")
                    and await self.hass.state(entity_id) is not None
                ):
                    found.append(entity_id)
                    return True
            return False

        if await wait_until(exists, within, interval=0.2) is None:
            raise RuntimeError("the lock entity did not appear")
        return found[0]

    async def entity_ids(self, entry: Entry) -> list[str]:
        """Every entity of the entry (lock, sensors, event...)."""
        return sorted(
            str(item["entity_id"])
            for item in await self.hass.entity_registry()
            if item.get("config_entry_id") == entry.entry_id
        )

    async def diagnostics(self, entry: Entry) -> JSONObject | None:
        """Return the entry's diagnostics download, or None when there is none."""
        try:
            body = await self.hass.get(f"/api/diagnostics/config_entry/{entry.entry_id}")
        except HassApiError as err:
            self.diagnostics_failures.append(f"{entry.title}: HTTP {err.status}")
            return None
        return body if isinstance(body, dict) else None

    async def push_counters(self, entry: Entry) -> dict[str, int] | None:
        """Return the integration's webhook counters by outcome (from its diagnostics), if any."""
        found = find_counters(await self.diagnostics(entry))
        return None if found is None else {str(k): int(v) for k, v in found.items()}

    async def remove_entry(self, entry: Entry) -> Any:
        """Delete the entry over REST (as the UI does)."""
        answer = await self.hass.delete(f"/api/config/config_entries/entry/{entry.entry_id}")
        self.entries.remove(entry)
        self.removed.append(entry)
        return answer

    async def reload_entry(self, entry: Entry) -> Any:
        """Reload the entry over REST (as the UI does)."""
        return await self.hass.post(f"/api/config/config_entries/entry/{entry.entry_id}/reload")

    async def entry_state(self, entry: Entry) -> str | None:
        """Return the entry's state (``loaded``, ``setup_retry``...), None when it is gone."""
        for item in await self.hass.config_entries(DOMAIN):
            if item.get("entry_id") == entry.entry_id:
                return str(item.get("state"))
        return None

    async def lock_state(self, entry: Entry) -> str | None:
        """Return the lock entity's state in Home Assistant."""
        state = await self.hass.state(entry.lock_entity)
        return None if state is None else str(state.get("state"))

    async def ours_on_bridge(self, entry: Entry) -> list[WebhookRegistration]:
        """Return the entry's registrations on its bridge (exactly one is right)."""
        return [r for r in await entry.bridge.registrations(self.session) if entry.is_ours(r)]

    async def bridge_ha_state(self, entry: Entry) -> str:
        """Return what Home Assistant should show for the bridge's bolt state now."""
        return hass_state_of(str((await entry.bridge.lock())["bolt_state"]))

    async def in_sync(self, entry: Entry) -> bool:
        """Whether Home Assistant shows the bridge's bolt state."""
        return await self.lock_state(entry) == await self.bridge_ha_state(entry)

    def websocket(self) -> HassWebSocket:
        """Return a websocket client of Home Assistant."""
        return self.hass.websocket()

    def webhook_url(self, entry: Entry) -> str:
        """Return the entry's webhook URL (secret: never print it)."""
        return f"{self.hass.url}{WEBHOOK_PATH}{entry.webhook_id}"

    def hass_rss_kib(self) -> int:
        """Resident memory of the Home Assistant process, in KiB."""
        pid = self.hass.pid
        if pid is None:
            raise RuntimeError("Home Assistant is not running")
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS line")

    async def restart_hass(self) -> None:
        """Restart Home Assistant (its log is kept first: it rotates at start)."""
        self.archived_logs.append(self.hass.log_text())
        await self.hass.restart()

    def hass_logs(self) -> list[tuple[str, str]]:
        """Every log Home Assistant wrote in this run: (name, text)."""
        logs = [
            (f"home-assistant.log (before restart {n})", text)
            for n, text in enumerate(self.archived_logs, start=1)
        ]
        logs.append(("home-assistant.log", self.hass.log_text()))
        try:
            stdout = self.hass.stdout_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            stdout = ""
        logs.append(("Home Assistant stdout/stderr", stdout))
        return logs

    def secrets(self) -> list[Secret]:
        """Every key and webhook id of the run."""
        found = [s for bridge in self.bridges for s in bridge.identity.secrets()]
        found += [
            Secret("webhook id", f"entry {entry.title}", entry.webhook_id)
            for entry in [*self.entries, *self.removed]
        ]
        return found

    async def stop(self) -> None:
        """Stop Home Assistant, the bridges, the client (each bounded)."""
        try:
            await self.hass.stop()
        finally:
            for bridge in self.bridges:
                await bridge.stop()
            if self._session is not None:
                await self._session.close()
                self._session = None
