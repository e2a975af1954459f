"""Diagnostics: what the integration knows and how push is doing, with every secret redacted.

Keys, the token, the webhook id, MAC addresses, IP addresses, host names, URLs and the names
given to keys never appear; registrations are summarised without their URLs.
"""

from __future__ import annotations

from dataclasses import asdict
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_HOST, CONF_WEBHOOK_ID

from aioloqed import RejectReason

from .const import (
    CONF_API_TOKEN,
    CONF_BRIDGE_KEY,
    CONF_CALLBACK_URL,
    CONF_KEY_NAMES,
    CONF_LOCK_ID,
    CONF_LOCK_KEY,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.core import HomeAssistant

    from .coordinator import LoqedConfigEntry, LoqedCoordinator

TO_REDACT: Final = frozenset(
    {
        CONF_API_TOKEN,
        CONF_BRIDGE_KEY,
        CONF_CALLBACK_URL,
        CONF_HOST,
        CONF_LOCK_ID,
        CONF_LOCK_KEY,
        CONF_WEBHOOK_ID,
        "backend_key",
        "bridge_ip",
        "bridge_mac_ble",
        "bridge_mac_wifi",
        "bridge_mdns_hostname",
        "ip_address",
        "lock_key_key",
        "mac_ble",
        "mac_wifi",
        "unique_id",
        "url",
    }
)


MAX_DEPTH: Final = 4
"""Nesting kept of what the bridge sent (its payloads are flat); deeper values are cut."""
TOO_DEEP: Final = "**NESTED TOO DEEP**"


def _shallow(value: Any, depth: int = 0) -> Any:
    """Copy ``value`` down to ``MAX_DEPTH`` levels (a signed body may nest a thousand deep)."""
    if isinstance(value, dict | list):
        if depth >= MAX_DEPTH:
            return TOO_DEEP
        if isinstance(value, dict):
            return {key: _shallow(item, depth + 1) for key, item in value.items()}
        return [_shallow(item, depth + 1) for item in value]
    return value


def _payload(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return what the bridge sent, cut to a sane depth and redacted."""
    return async_redact_data(_shallow(dict(raw)), TO_REDACT)


def _ago(moment: float | None) -> float | None:
    """Seconds since a Unix time, rounded (None stays None)."""
    return None if moment is None else round(time.time() - moment, 1)


def _options(options: dict[str, Any]) -> dict[str, Any]:
    redacted = async_redact_data(options, TO_REDACT)
    if isinstance(names := redacted.get(CONF_KEY_NAMES), dict):
        # Key ids help; the names are people's.
        redacted[CONF_KEY_NAMES] = dict.fromkeys(names, REDACTED)
    return redacted


def _push(coordinator: LoqedCoordinator) -> dict[str, Any]:
    push = coordinator.push
    return {
        "healthy": coordinator.push_healthy,
        "signed": push.signed,
        "awaiting_verified_webhook": coordinator.awaiting_push,
        "seconds_since_verified": _ago(push.last_verified),
        "seconds_since_received": _ago(push.last_received),
        "counters": dict(push.counters),
        "stale_in_a_row": push.stale_in_a_row,
        "timestamp_window": push.verifier.window,
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
    entry: LoqedConfigEntry,
) -> dict[str, Any]:
    """Describe one entry for a bug report."""
    coordinator = entry.runtime_data
    data = coordinator.data
    push = coordinator.push
    registration = coordinator.registrar.state
    settings = coordinator.settings
    last_event = data.last_event
    return {
        "entry": {
            "title": entry.title,
            "version": f"{entry.version}.{entry.minor_version}",
            "source": entry.source,
            "unique_id": REDACTED if entry.unique_id else None,
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": _options(dict(entry.options)),
        },
        "status": (_payload(data.status.raw) if data.status is not None else None),
        "lock": asdict(data.lock),
        "lock_online": data.lock_online,
        "last_event": (
            {
                "kind": type(last_event).__name__,
                "payload": _payload(last_event.raw),
            }
            if last_event is not None
            else None
        ),
        "last_operation": asdict(data.operation) if data.operation is not None else None,
        "registrations": {
            **{
                key: value
                for key, value in asdict(registration).items()
                if key not in {"registrations", "last_run"}
            },
            "on_the_bridge": [asdict(summary) for summary in registration.registrations],
        },
        "push": _push(coordinator),
        "rejected_webhooks": {reason.value: push.counters[reason.value] for reason in RejectReason},
        "clock_skew_estimate": push.skew_estimate,
        "polling": {
            "interval_seconds": (
                coordinator.update_interval.total_seconds()
                if coordinator.update_interval is not None
                else None
            ),
            "last_update_success": coordinator.last_update_success,
        },
        "commands": {
            "counters": dict(coordinator.commander.counters),
            "unconfirmed_in_a_row": coordinator.commander.unconfirmed_in_a_row,
        },
        "lock_settings": (
            {
                "values": {setting.value: value for setting, value in settings.values.items()},
                "seconds_since_read": _ago(settings.read_at),
                "requests_last_12_hours": len(settings.requests),
                "problem": settings.problem,
            }
            if settings is not None
            else None
        ),
    }
