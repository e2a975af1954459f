"""The two devices of an entry, the bridge and its lock, and keeping the registry tidy.

The bridge is identified by its Wi-Fi MAC (the entry's unique id) and carries both its MACs as
connections; the lock is ``<bridge MAC>-lock`` and linked to the bridge with ``via_device``.
Any other device of the entry is stale and removed at setup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import (
    CONNECTION_BLUETOOTH,
    CONNECTION_NETWORK_MAC,
    DeviceInfo,
    format_mac,
)

from .const import BRIDGE_MODEL, CONFIGURATION_URL, DOMAIN, LOGGER, MANUFACTURER, MODEL

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from aioloqed import BridgeStatus

_MAC_DIGITS: Final = 12


def bridge_identifier(entry: ConfigEntry) -> str:
    """Identify the bridge device: its Wi-Fi MAC (the entry id for entries without one)."""
    return entry.unique_id or entry.entry_id


def lock_identifier(entry: ConfigEntry) -> str:
    """Identify the lock device."""
    return f"{bridge_identifier(entry)}-lock"


def _is_mac(value: str) -> bool:
    return len(value) == _MAC_DIGITS and all(c in "0123456789abcdef" for c in value)


def bridge_device_info(entry: ConfigEntry, status: BridgeStatus | None) -> DeviceInfo:
    """Describe the bridge: model, both MACs, a link to the LOQED web app."""
    identifier = bridge_identifier(entry)
    connections: set[tuple[str, str]] = set()
    if _is_mac(identifier):
        connections.add((CONNECTION_NETWORK_MAC, format_mac(identifier)))
    if status is not None and status.bridge_mac_ble:
        connections.add((CONNECTION_BLUETOOTH, format_mac(status.bridge_mac_ble).upper()))
    return DeviceInfo(
        identifiers={(DOMAIN, identifier)},
        connections=connections,
        translation_key="bridge",
        translation_placeholders={"name": entry.title},
        manufacturer=MANUFACTURER,
        model=BRIDGE_MODEL,
        configuration_url=CONFIGURATION_URL,
    )


def lock_device_info(entry: ConfigEntry) -> DeviceInfo:
    """Describe the lock, reached through the bridge."""
    return DeviceInfo(
        identifiers={(DOMAIN, lock_identifier(entry))},
        name=entry.title,
        manufacturer=MANUFACTURER,
        model=MODEL,
        configuration_url=CONFIGURATION_URL,
        via_device=(DOMAIN, bridge_identifier(entry)),
    )


def _current(entry: ConfigEntry) -> set[tuple[str, str]]:
    return {(DOMAIN, bridge_identifier(entry)), (DOMAIN, lock_identifier(entry))}


@callback
def async_setup_devices(
    hass: HomeAssistant, entry: ConfigEntry, status: BridgeStatus | None
) -> None:
    """Register the bridge (before the lock points at it) and remove stale devices."""
    registry = dr.async_get(hass)
    registry.async_get_or_create(
        config_entry_id=entry.entry_id, **bridge_device_info(entry, status)
    )
    current = _current(entry)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if not device.identifiers & current:
            LOGGER.debug("%s: removing a device that no longer belongs to it", entry.title)
            registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


def is_stale_device(entry: ConfigEntry, device: dr.DeviceEntry) -> bool:
    """Whether ``device`` is neither the bridge nor the lock of ``entry``."""
    return not device.identifiers & _current(entry)


@callback
def async_migrate_devices(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Version 1.1 had one device, the lock, under the bridge's identifier and MAC.

    It keeps the user's name and area as the lock device; the bridge device is created anew.
    """
    registry = dr.async_get(hass)
    device = registry.async_get_device(identifiers={(DOMAIN, bridge_identifier(entry))})
    if device is None:
        return
    registry.async_update_device(
        device.id,
        new_identifiers={(DOMAIN, lock_identifier(entry))},
        new_connections=set(),
    )
