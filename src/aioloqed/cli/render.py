"""What the CLI prints: rich tables for people, JSON for scripts.

Each ``*_data`` function returns plain JSON-ready data; each ``show_*`` function prints it in one
of the two forms. Nothing here prints a key.
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from aioloqed.const import BoltState, WebhookTrigger
from aioloqed.events import (
    BatteryEvent,
    GoingToStateEvent,
    OnlineStatusEvent,
    StateReachedEvent,
    UnknownEvent,
)
from aioloqed.webhook import RejectedWebhook, UnverifiableWebhook, VerifiedWebhook

if TYPE_CHECKING:
    from collections.abc import Sequence

    from aioloqed.discovery import DiscoveredBridge
    from aioloqed.events import LoqedEvent
    from aioloqed.models import BridgeStatus, WebhookRegistration
    from aioloqed.state import LockState, SentCommand
    from aioloqed.webhook import WebhookResult

_STATE_WORDS = {
    BoltState.OPEN: "open",
    BoltState.DAY_LOCK: "day lock (unlocked)",
    BoltState.NIGHT_LOCK: "night lock (locked)",
    BoltState.UNKNOWN: "unknown",
}
_EVENT_KINDS: dict[type, str] = {
    StateReachedEvent: "state_reached",
    GoingToStateEvent: "going_to_state",
    BatteryEvent: "battery",
    OnlineStatusEvent: "online_status",
    UnknownEvent: "unknown",
}


def bolt_words(state: BoltState) -> str:
    """Return a bolt state in words: ``night lock (locked)``."""
    return _STATE_WORDS[state]


def print_json(data: Any) -> None:
    """Print data as indented JSON on stdout."""
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def print_json_line(data: Any) -> None:
    """Print data as one compact JSON line on stdout (streams)."""
    print(json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str), flush=True)


def _console() -> Console:
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)


def _or_dash(value: Any, unit: str = "") -> str:
    return "-" if value is None else f"{value}{unit}"


def _when(timestamp: int | None) -> str:
    if timestamp is None:
        return "-"
    try:
        moment = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return str(timestamp)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


# ---------------------------------------------------------------------- status


def status_data(status: BridgeStatus) -> dict[str, Any]:
    """Return the status as JSON-ready data (the raw answer under ``raw``)."""
    return {
        "bolt_state": status.bolt_state,
        "lock_online": status.lock_online,
        "battery_percentage": status.battery_percentage,
        "battery_type": status.battery_type,
        "battery_voltage": status.battery_voltage,
        "wifi_strength": status.wifi_strength,
        "ble_strength": status.ble_strength,
        "bridge_mac_wifi": status.bridge_mac_wifi,
        "bridge_mac_ble": status.bridge_mac_ble,
        "ip_address": status.ip_address,
        "webhooks_number": status.webhooks_number,
        "up_timestamp": status.up_timestamp,
        "raw": dict(status.raw),
    }


def show_status(status: BridgeStatus, *, as_json: bool) -> None:
    """Print the bridge status."""
    if as_json:
        print_json(status_data(status))
        return
    table = Table(title="LOQED bridge status", show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("Bolt", _STATE_WORDS[status.bolt_state])
    table.add_row("Lock connected", "yes" if status.lock_online else "no")
    table.add_row("Battery", _or_dash(status.battery_percentage, " %"))
    table.add_row("Battery type", status.battery_type.value.replace("_", " "))
    table.add_row("Battery voltage", _or_dash(status.battery_voltage, " V"))
    table.add_row("Wi-Fi signal", _or_dash(status.wifi_strength))
    table.add_row("Bluetooth signal", _or_dash(status.ble_strength))
    table.add_row("Bridge Wi-Fi MAC", _or_dash(status.bridge_mac_wifi))
    table.add_row("Bridge Bluetooth MAC", _or_dash(status.bridge_mac_ble))
    table.add_row("Bridge IP address", _or_dash(status.ip_address))
    table.add_row("Webhooks registered", _or_dash(status.webhooks_number))
    table.add_row("Up since", _when(status.up_timestamp))
    _console().print(table)


# ---------------------------------------------------------------------- commands

_ACTION_WORDS = {"OPEN": "open", "UNLOCK": "unlock (day lock)", "LOCK": "lock (night lock)"}


def command_data(command: SentCommand, host: str) -> dict[str, Any]:
    """Return a sent command as JSON-ready data."""
    return {
        "action": command.action.name.lower(),
        "local_key_id": command.local_key_id,
        "timestamp": command.timestamp,
        "bridge": host,
    }


def show_command(command: SentCommand, host: str, *, as_json: bool) -> None:
    """Print what was sent (a 2xx only means the bridge relayed it)."""
    if as_json:
        print_json(command_data(command, host))
        return
    print(
        f"Sent {_ACTION_WORDS[command.action.name]} to the bridge at {host} "
        f"with key {command.local_key_id}. The bridge relays it; the lock confirms through its "
        "webhooks (see 'aioloqed watch')."
    )


# ---------------------------------------------------------------------- webhooks


def trigger_names(triggers: WebhookTrigger) -> list[str]:
    """Names of the single triggers set in ``triggers``, in bit order."""
    return [
        str(member.name).lower()
        for member in WebhookTrigger
        if member is not WebhookTrigger.ALL and member in triggers
    ]


def webhooks_data(registrations: Sequence[WebhookRegistration]) -> list[dict[str, Any]]:
    """Registrations as JSON-ready data."""
    return [
        {
            "id": registration.id,
            "url": registration.url,
            "triggers": int(registration.triggers),
            "trigger_names": trigger_names(registration.triggers),
        }
        for registration in registrations
    ]


def show_webhooks(registrations: Sequence[WebhookRegistration], *, as_json: bool) -> None:
    """Print the webhook registrations of the bridge."""
    if as_json:
        print_json(webhooks_data(registrations))
        return
    if not registrations:
        print("No webhooks registered on the bridge.")
        return
    table = Table(title="Webhooks registered on the bridge", title_justify="left")
    table.add_column("id", justify="right")
    table.add_column("url", overflow="fold")
    table.add_column("triggers", overflow="fold")
    for registration in registrations:
        names = trigger_names(registration.triggers)
        text = "all" if registration.triggers == WebhookTrigger.ALL else ", ".join(names)
        table.add_row(str(registration.id), registration.url, text or "none")
    _console().print(table)


# ---------------------------------------------------------------------- events


def event_data(event: LoqedEvent) -> dict[str, Any]:
    """Return an event as JSON-ready data: its kind, its typed fields and the payload."""
    data: dict[str, Any] = {"kind": _EVENT_KINDS.get(type(event), "unknown")}
    for name in type(event).__dataclass_fields__:
        value = getattr(event, name)
        data[name] = dict(value) if name == "raw" else value
    return data


def describe_event(event: LoqedEvent, state: LockState | None = None) -> str:
    """Return one human line for an event.

    ``state`` is the lock state after the event; it knows the source of a reached state
    better than the event alone (the motion that led to it, a re-latch after OPEN).
    """
    if isinstance(event, GoingToStateEvent):
        return (
            f"going to {_STATE_WORDS[event.target]} ({event.event_type}, "
            f"{_key(event.key_id)}, {event.source.value.replace('_', ' ')})"
        )
    if isinstance(event, StateReachedEvent):
        if event.motor_stall:
            return f"motor stalled: lock jammed ({_key(event.key_id)})"
        key_id, source = event.key_id, event.source
        if state is not None and state.source is not None:
            key_id, source = state.key_id, state.source
        return (
            f"reached {_STATE_WORDS[event.state]} ({event.event_type}, "
            f"{_key(key_id)}, {source.value.replace('_', ' ')})"
        )
    if isinstance(event, BatteryEvent):
        return (
            f"battery {_or_dash(event.battery_percentage, ' %')} "
            f"({event.battery_type.value.replace('_', ' ')})"
        )
    if isinstance(event, OnlineStatusEvent):
        return (
            f"lock {'connected' if event.lock_online else 'disconnected'} "
            f"(Wi-Fi {_or_dash(event.wifi_strength)}, Bluetooth {_or_dash(event.ble_strength)})"
        )
    event_type = getattr(event, "event_type", None)
    return f"unknown event {event_type or ''}".rstrip()


def _key(key_id: int | None) -> str:
    return "no key" if key_id is None else f"key {key_id}"


def lock_state_data(state: LockState) -> dict[str, Any]:
    """Return the lock state as JSON-ready data."""
    return {
        "bolt_state": state.bolt_state,
        "motion": state.motion,
        "target": state.target,
        "jammed": state.jammed,
        "key_id": state.key_id,
        "source": state.source,
    }


def result_data(
    result: WebhookResult, received_at: float, state: LockState | None = None
) -> dict[str, Any]:
    """Return a receiver result as JSON-ready data (with the lock state after a verified one)."""
    if isinstance(result, VerifiedWebhook):
        data = {
            "result": "verified",
            "received_at": received_at,
            "timestamp": result.timestamp,
            "skew": result.skew,
            "event": event_data(result.event),
        }
        if state is not None:
            data["lock_state"] = lock_state_data(state)
        return data
    if isinstance(result, UnverifiableWebhook):
        return {
            "result": "unverifiable",
            "received_at": received_at,
            "event": None if result.event is None else event_data(result.event),
        }
    return {
        "result": "rejected",
        "received_at": received_at,
        "reason": result.reason,
        "skew": result.skew,
    }


def show_result(
    result: WebhookResult,
    received_at: float,
    *,
    as_json: bool,
    state: LockState | None = None,
) -> None:
    """Print one received webhook as it comes; ``state`` is the lock state after it."""
    if as_json:
        print_json_line(result_data(result, received_at, state))
        return
    clock = datetime.fromtimestamp(received_at).astimezone().strftime("%H:%M:%S")
    if isinstance(result, VerifiedWebhook):
        line = f"{clock}  {describe_event(result.event, state)}"
    elif isinstance(result, UnverifiableWebhook):
        what = "no JSON body" if result.event is None else describe_event(result.event)
        line = f"{clock}  UNVERIFIED (no TIMESTAMP/HASH headers, not trusted): {what}"
    else:
        line = f"{clock}  REJECTED ({result.reason.value.replace('_', ' ')})"
        if isinstance(result, RejectedWebhook) and result.skew is not None:
            line += f", clock skew {result.skew:+.0f} s"
    print(line, flush=True)


# ---------------------------------------------------------------------- discovery


def bridges_data(bridges: Sequence[DiscoveredBridge]) -> list[dict[str, Any]]:
    """Discovered bridges as JSON-ready data."""
    return [
        {
            "name": bridge.name,
            "host": bridge.host,
            "port": bridge.port,
            "hostname": bridge.hostname,
            "mac": bridge.mac,
            "addresses": list(bridge.addresses),
        }
        for bridge in bridges
    ]


def show_bridges(bridges: Sequence[DiscoveredBridge], *, as_json: bool) -> None:
    """Print the bridges found on the network."""
    if as_json:
        print_json(bridges_data(bridges))
        return
    table = Table(title="LOQED bridges found", title_justify="left")
    table.add_column("name")
    table.add_column("address")
    table.add_column("port", justify="right")
    table.add_column("Wi-Fi MAC")
    for bridge in bridges:
        table.add_row(bridge.name, bridge.host, str(bridge.port), _or_dash(bridge.mac))
    _console().print(table)
