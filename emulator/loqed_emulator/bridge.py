"""``EmulatedBridge``: the lock, its bridge, the webhook queue, faults and both HTTP servers.

Use it in-process (tests, demos, benchmarks)::

    async with EmulatedBridge(EmulatorConfig(motor_time=0)) as bridge:
        info = bridge.integration_information   # give this to the client
        ...
        bridge.turn_knob(BoltState.DAY_LOCK)      # a person at the door
        await bridge.wait_settled()
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
import hmac
import json
import logging
import os
from pathlib import Path
import time
from typing import TYPE_CHECKING, Any, Self

from aiohttp import web

from loqed_emulator.app import build_bridge_app
from loqed_emulator.config import (
    FULL_BATTERY,
    WILDCARD_HOSTS,
    EmulatorConfig,
    integration_information,
)
from loqed_emulator.control import build_control_app
from loqed_emulator.faults import Faults, parse_fault_changes
from loqed_emulator.lock import (
    BatteryType,
    BoltState,
    EventKind,
    Lock,
    LockEvent,
    Source,
    cancel_and_wait,
    drain,
)
from loqed_emulator.payloads import (
    Macs,
    battery_payload,
    lock_event_payload,
    online_status_payload,
)
from loqed_emulator.protocol import (
    MAX_KEY_ID,
    NO_KEY_ID,
    Action,
    MalformedCommandError,
    RelayCommand,
    command_rejection,
    parse_command,
)
from loqed_emulator.webhooks import WebhookDispatcher, WebhookRegistry
from loqed_emulator.zeroconf_announce import ZeroconfAnnouncer

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType

_LOGGER = logging.getLogger(__name__)

_SHUTDOWN_TIMEOUT = 0.5


@dataclass(frozen=True, slots=True)
class IgnoredCommand:
    """A command that reached the bridge but that the lock did not act on."""

    time: float
    via: str  # "to_lock" or "state"
    reason: str
    key_id: int | None = None
    action: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the record as JSON-ready values."""
        return {
            "time": round(self.time, 3),
            "via": self.via,
            "reason": self.reason,
            "key_id": self.key_id,
            "action": self.action,
        }


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A line of the event log: lock events, link changes, relay pulses, reboots."""

    time: float
    kind: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the record as JSON-ready values."""
        return {"time": round(self.time, 3), "kind": self.kind, **self.detail}


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class EmulatedBridge:
    """A LOQED bridge with its lock, served over HTTP on ``url`` (and a control API)."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        """Build the bridge; nothing listens before ``start``."""
        self.config = config if config is not None else EmulatorConfig()
        self.faults = Faults(**self.config.faults.as_dict())
        self.registry = WebhookRegistry()
        self.dispatcher = WebhookDispatcher(
            self.registry,
            bridge_key=self.config.bridge_key,
            faults=self.faults,
            clock=self.bridge_time,
            timeout=self.config.webhook_timeout,
            log_size=self.config.log_size,
        )
        self.lock = Lock(
            emit=self._on_lock_event,
            motor_time=self.config.motor_time,
            relatch_time=self.config.relatch_time,
            battery_percentage=self.config.battery_percentage,
            battery_type=self.config.battery_type,
            bolt_state=self.config.bolt_state,
            should_stall=self.faults.consume_motor_stall,
        )
        self.online = True
        self.known_bolt_state = self.config.bolt_state
        self.up_timestamp = int(self.config.clock())
        self.events: deque[EventRecord] = deque(maxlen=self.config.log_size)
        self.ignored_commands: deque[IgnoredCommand] = deque(maxlen=self.config.log_size)
        self.relay_pulses = 0
        self.bridge_down = self.config.bridge_down
        self.rebooting = False
        self.port = self.config.port
        self.control_port = self.config.control_port
        self._macs = Macs(wifi=str(self.config.mac_wifi), ble=str(self.config.mac_ble))
        self._bridge_runner: web.AppRunner | None = None
        self._control_runner: web.AppRunner | None = None
        self._battery_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._announcer: ZeroconfAnnouncer | None = None
        self._started = False

    def __repr__(self) -> str:
        """Show where it listens, never a key."""
        return f"EmulatedBridge(url={self.url!r}, control_url={self.control_url!r})"

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        """Listen on the bridge and control ports, start the webhook queue and timers."""
        if self._started:
            return
        await self.dispatcher.start()
        try:
            if not self.bridge_down:
                await self._listen()
            self._control_runner, self.control_port = await _serve(
                build_control_app(self),
                self.config.control_host or self.config.host,
                self.config.control_port,
            )
            if self.port == 0:
                # Down from the start on a free port: reserve one now so that "up" is stable.
                self.port = await _free_port(self.config.host)
            if self.config.battery_interval > 0:
                self._battery_task = asyncio.create_task(self._report_battery_periodically())
            if self.config.zeroconf:
                self._announcer = ZeroconfAnnouncer(
                    mac_wifi=self._macs.wifi,
                    address=self.config.zeroconf_interface or self.config.reported_ip,
                    port=self.port,
                )
                await self._announcer.start()
            self._started = True
            if self.config.info_file is not None:
                write_private_json(self.config.info_file, self.integration_information)
        except BaseException:
            await self._shutdown()
            raise
        _LOGGER.info("bridge on %s, control page on %s", self.url, self.control_url)

    async def stop(self) -> None:
        """Stop listening, cancel every timer and close the webhook client."""
        if not self._started:
            return
        self._started = False
        await self._shutdown()

    async def _shutdown(self) -> None:
        for task in list(self._background):
            await cancel_and_wait(task)
        await cancel_and_wait(self._battery_task)
        self._battery_task = None
        if self._announcer is not None:
            await self._announcer.stop()
            self._announcer = None
        await self.lock.close()
        await self.dispatcher.stop()
        await self._unlisten()
        if self._control_runner is not None:
            await self._control_runner.cleanup()
            self._control_runner = None

    async def __aenter__(self) -> Self:
        """Start the bridge."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the bridge."""
        await self.stop()

    async def _listen(self) -> None:
        self._bridge_runner, self.port = await _serve(
            build_bridge_app(self), self.config.host, self.port
        )

    async def _unlisten(self) -> None:
        if self._bridge_runner is not None:
            await self._bridge_runner.cleanup()
            self._bridge_runner = None

    # ------------------------------------------------------------------ identity

    @property
    def url(self) -> str:
        """Base URL of the bridge API, e.g. ``http://127.0.0.1:41234``."""
        return f"http://{_url_host(self._public_host(self.config.host))}:{self.port}"

    @property
    def control_url(self) -> str:
        """Base URL of the control API and page."""
        host = self._public_host(self.config.control_host or self.config.host)
        return f"http://{_url_host(host)}:{self.control_port}"

    def _public_host(self, host: str) -> str:
        return self.config.reported_ip if host in WILDCARD_HOSTS else host

    @property
    def integration_information(self) -> dict[str, object]:
        """The "Integration information" JSON of protocol 6.2 (``bridge_ip`` with the port)."""
        return integration_information(self.config, self.port)

    @property
    def macs(self) -> Macs:
        """The bridge's Wi-Fi and BLE MAC addresses."""
        return self._macs

    @property
    def bolt_state(self) -> BoltState:
        """The lock's real bolt state (``/status`` shows the bridge's last known one)."""
        return self.lock.bolt_state

    def bridge_time(self) -> float:
        """Return the bridge's clock: the real clock plus the ``clock_offset`` fault."""
        return self.config.clock() + self.faults.clock_offset

    # ------------------------------------------------------------------ bridge API

    def status(self) -> dict[str, Any]:
        """Return the ``/status`` object (protocol 3), in the field order of real bridges."""
        online = self.online
        return {
            "battery_percentage": round(self.lock.battery_percentage) if online else -1,
            "battery_type": self.lock.battery_type.name,
            "battery_type_numeric": int(self.lock.battery_type),
            "battery_voltage": self.lock.battery_voltage,
            "bolt_state": self.known_bolt_state.status_name,
            "bolt_state_numeric": int(self.known_bolt_state),
            "bridge_mac_wifi": self._macs.wifi,
            "bridge_mac_ble": self._macs.ble,
            "lock_online": 1 if online else 0,
            "webhooks_number": len(self.registry),
            "ip_address": self.config.reported_ip,
            "up_timestamp": self.up_timestamp,
            "wifi_strength": self.config.wifi_strength,
            "ble_strength": self.config.ble_strength if online else -1,
        }

    def receive_command(self, message: bytes) -> None:
        """Hand a ``/to_lock`` message to the lock, which acts on it or ignores it."""
        try:
            command = parse_command(message)
        except MalformedCommandError as err:
            self._ignore("to_lock", err.reason)
            return
        if isinstance(command, RelayCommand):
            self.relay_pulses += 1
            self._record("relay_pulsed", action_byte=command.action_byte)
            return
        if not self.online:
            self._ignore("to_lock", "lock_offline", command.key_id, command.action)
            return
        reason = command_rejection(
            command,
            self.config.lock_keys,
            now=self.config.clock(),
            window=self.config.command_window,
        )
        if reason is not None:
            self._ignore("to_lock", reason, command.key_id, command.action)
            return
        self.lock.operate(BoltState(command.action), Source.REMOTE, command.key_id)

    def receive_state_command(self, action: Action, key_id: int, secret: bytes | None) -> None:
        """Act on the unsigned ``/state`` form: the secret must be the key of ``key_id``."""
        if not self.online:
            self._ignore("state", "lock_offline", key_id, int(action))
            return
        key = self.config.lock_keys.get(key_id)
        if key is None:
            self._ignore("state", "unknown_key", key_id, int(action))
            return
        if secret is None or not hmac.compare_digest(key, secret):
            self._ignore("state", "bad_secret", key_id, int(action))
            return
        self.lock.operate(BoltState(int(action)), Source.REMOTE, key_id)

    def _ignore(
        self, via: str, reason: str, key_id: int | None = None, action: int | None = None
    ) -> None:
        record = IgnoredCommand(time.time(), via, reason, key_id, action)
        self.ignored_commands.append(record)
        self._record("command_ignored", via=via, reason=reason, key_id=key_id)
        _LOGGER.info("lock ignored a command (%s): %s", via, reason)

    # ------------------------------------------------------------------ events and webhooks

    def _record(self, kind: str, **detail: Any) -> None:
        self.events.append(EventRecord(time.time(), kind, detail))

    def _on_lock_event(self, event: LockEvent) -> None:
        relayed = self.online and not self.rebooting
        self._record(
            "lock",
            event_type=event.event_type,
            state=event.state.status_name,
            key_id=event.key_id,
            source=event.source.value,
            relayed=relayed,
        )
        if not relayed:
            return
        if event.kind is EventKind.REACHED:
            self.known_bolt_state = event.state
        self.dispatcher.enqueue(lock_event_payload(event, self._macs))

    def report_battery(self) -> None:
        """Send a battery webhook now (-1 while the lock is offline)."""
        percentage = round(self.lock.battery_percentage) if self.online else -1
        self._record("battery_report", battery_percentage=percentage)
        if not self.rebooting:
            self.dispatcher.enqueue(battery_payload(self.lock.battery_type, percentage, self._macs))

    async def _report_battery_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.config.battery_interval)
            self.lock.battery_percentage = drain(
                self.lock.battery_percentage, self.config.battery_drain
            )
            self.report_battery()

    async def wait_idle(self) -> None:
        """Wait until every queued webhook has been delivered (or lost)."""
        await self.dispatcher.wait_idle()

    async def wait_settled(self) -> None:
        """Wait until the lock is at rest (no motor run, no pending re-latch) and webhooks sent.

        Wrap it in ``asyncio.timeout``: with a long re-latch time it takes that long.
        """
        while True:
            await self.lock.wait_at_rest()
            await self.dispatcher.wait_idle()
            if not self.lock.busy:
                return

    # ------------------------------------------------------------------ manual operations

    def turn_knob(self, state: BoltState) -> None:
        """Turn the knob by hand to ``state`` (no motor, key 255)."""
        self.lock.turn_knob(state)

    def keypad_pin(self, key_id: int | None = None) -> None:
        """Enter a PIN on the outside keypad: opens (key id of that PIN's key)."""
        self.lock.operate(BoltState.OPEN, Source.KEYPAD_PIN, self._key_or_primary(key_id))

    def press_outside_button(self) -> None:
        """Press the outside module's button: opens (key 255)."""
        self.lock.operate(BoltState.OPEN, Source.OUTSIDE_BUTTON, NO_KEY_ID)

    def touch_to_open(self, key_id: int | None = None) -> None:
        """Touch to Open with a phone: opens (the phone's key id)."""
        self.lock.operate(BoltState.OPEN, Source.TOUCH_TO_OPEN, self._key_or_primary(key_id))

    def auto_unlock(self, key_id: int | None = None) -> None:
        """Auto unlock on arrival: day lock (the phone's key id)."""
        self.lock.operate(BoltState.DAY_LOCK, Source.AUTO_UNLOCK, self._key_or_primary(key_id))

    def twist_assist(self, state: BoltState) -> None:
        """Twist assist: a small turn of the knob, the motor finishes it (key 255)."""
        self.lock.operate(state, Source.TWIST_ASSIST, NO_KEY_ID)

    def touch_to_lock(self) -> None:
        """Touch to Lock on the outside module: night lock (key 255)."""
        self.lock.operate(BoltState.NIGHT_LOCK, Source.TOUCH_TO_LOCK, NO_KEY_ID)

    def app_ble(self, state: BoltState, key_id: int | None = None) -> None:
        """Move the lock with the LOQED app over Bluetooth (the app's key id)."""
        self.lock.operate(state, Source.APP_BLE, self._key_or_primary(key_id))

    def _key_or_primary(self, key_id: int | None) -> int:
        if key_id is None:
            return self.config.primary_key_id
        if not 0 <= key_id <= MAX_KEY_ID and key_id != NO_KEY_ID:
            raise ValueError(f"key_id must be 0..{MAX_KEY_ID} or {NO_KEY_ID}")
        return key_id

    def set_battery(
        self, percentage: float | None = None, battery_type: BatteryType | None = None
    ) -> None:
        """Change the battery level (0..100) and/or type, then send a battery webhook."""
        if percentage is not None:
            if not 0 <= percentage <= FULL_BATTERY:
                raise ValueError("percentage must be 0..100")
            self.lock.battery_percentage = float(percentage)
        if battery_type is not None:
            self.lock.battery_type = battery_type
        self.report_battery()

    def set_link(self, *, online: bool) -> None:
        """Lose or regain the lock's Bluetooth link to the bridge (online-status webhooks)."""
        if online == self.online:
            return
        self.online = online
        self._record("link", online=online)
        if self.rebooting:
            return
        if online:
            self.known_bolt_state = self.lock.bolt_state
            self.dispatcher.enqueue(
                online_status_payload(
                    self.config.wifi_strength, self.config.ble_strength, self._macs
                )
            )
            self.report_battery()
        else:
            self.dispatcher.enqueue(
                online_status_payload(self.config.wifi_strength, -1, self._macs)
            )

    def lose_link(self) -> None:
        """Drop the lock's Bluetooth link to the bridge."""
        self.set_link(online=False)

    def regain_link(self) -> None:
        """Reconnect the lock to the bridge."""
        self.set_link(online=True)

    # ------------------------------------------------------------------ faults

    async def update_faults(self, changes: Mapping[str, Any]) -> None:
        """Validate and apply fault changes (see docs/emulator.md); a bad one changes nothing."""
        parsed = parse_fault_changes(changes)
        self.faults.apply(parsed)
        if "bridge_down" in parsed:
            await self.set_bridge_down(down=parsed["bridge_down"])
        self._record("faults", **parsed)

    async def set_faults(self, **changes: Any) -> None:
        """Keyword form of ``update_faults``."""
        await self.update_faults(changes)

    def fault_state(self) -> dict[str, Any]:
        """Every fault switch, including ``bridge_down``."""
        return {**self.faults.as_dict(), "bridge_down": self.bridge_down}

    async def set_bridge_down(self, *, down: bool) -> None:
        """Stop listening on the bridge port (connections refused) or listen again on it."""
        if down == self.bridge_down:
            return
        self.bridge_down = down
        if not self._started:
            return
        if down:
            await self._unlisten()
        else:
            try:
                await self._listen()
            except OSError:
                self.bridge_down = True  # still down: the port is taken
                raise
        self._record("bridge_down" if down else "bridge_up")

    async def reboot(self, downtime: float = 0.0) -> None:
        """Reboot: forget every webhook registration, drop queued webhooks, reset up_timestamp.

        With a ``downtime`` the bridge port refuses connections for that many seconds, and lock
        events in that time are not relayed.
        """
        self.rebooting = True
        self._record("reboot", downtime=downtime)
        self.registry.clear()
        self.dispatcher.discard_pending()
        try:
            if downtime > 0 and self._started and not self.bridge_down:
                await self._unlisten()
                await asyncio.sleep(downtime)
                await self._listen()
            elif downtime > 0:
                await asyncio.sleep(downtime)
        finally:
            self.rebooting = False
        self.up_timestamp = int(self.config.clock())
        self.known_bolt_state = self.lock.bolt_state

    def spawn(self, coro: Any) -> None:
        """Run a coroutine in the background; it is cancelled on ``stop``."""
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            _LOGGER.error("background operation failed: %s", error)

    # ------------------------------------------------------------------ control snapshot

    def snapshot(self) -> dict[str, Any]:
        """Everything the control page shows; webhook targets by host only."""
        motion = self.lock.motion
        return {
            "name": self.config.name,
            "bridge_url": self.url,
            "lock": {
                "bolt_state": self.lock.bolt_state.status_name,
                "bridge_bolt_state": self.known_bolt_state.status_name,
                "motion": None
                if motion is None
                else {
                    "target": motion.target.status_name,
                    "source": motion.source.value,
                    "key_id": motion.key_id,
                },
                "relatch_pending": self.lock.relatch_pending,
                "jammed": self.lock.jammed,
                "online": self.online,
                "battery_percentage": round(self.lock.battery_percentage, 2),
                "battery_type": self.lock.battery_type.name.lower(),
                "battery_voltage": self.lock.battery_voltage,
                "key_ids": sorted(self.config.lock_keys),
            },
            "bridge": {
                "down": self.bridge_down,
                "rebooting": self.rebooting,
                "up_timestamp": self.up_timestamp,
                "mac_wifi": self._macs.wifi,
                "mac_ble": self._macs.ble,
                "relay_pulses": self.relay_pulses,
                "pending_webhooks": self.dispatcher.pending,
            },
            "faults": self.fault_state(),
            "webhooks": [
                {"id": item.id, "host": item.host, "flags": item.flags} for item in self.registry
            ],
            "deliveries": [item.to_json() for item in reversed(self.dispatcher.deliveries)],
            "events": [item.to_json() for item in reversed(self.events)],
            "ignored_commands": [item.to_json() for item in reversed(self.ignored_commands)],
        }


async def _serve(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=_SHUTDOWN_TIMEOUT
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_address=True)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    address = runner.addresses[0]
    return runner, int(address[1])


async def _free_port(host: str) -> int:
    runner, port = await _serve(web.Application(), host, 0)
    await runner.cleanup()
    return port


def write_private_json(path: Path, data: Mapping[str, object]) -> None:
    """Write JSON readable by the owner only (it holds keys), atomically (write, then rename)."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        temporary.chmod(0o600)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
