"""Base entity: one device per lock, unique ids from the bridge's MAC."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, DeviceInfo, format_mac
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import CONFIGURATION_URL, DOMAIN, MANUFACTURER, MODEL
from .coordinator import LoqedCoordinator

if TYPE_CHECKING:
    from homeassistant.helpers.entity import EntityDescription

_MAC_DIGITS = 12


class LoqedEntity(CoordinatorEntity[LoqedCoordinator]):
    """An entity of the lock behind one bridge."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: LoqedCoordinator, description: EntityDescription) -> None:
        """Describe the entity and the lock device it belongs to."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        device_id = entry.unique_id or entry.entry_id
        self._attr_unique_id = f"{device_id}-{description.key}"
        connections: set[tuple[str, str]] = set()
        if len(device_id) == _MAC_DIGITS:
            connections.add((CONNECTION_NETWORK_MAC, format_mac(device_id)))
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, device_id)},
            connections=connections,
            name=entry.title,
            manufacturer=MANUFACTURER,
            model=MODEL,
            configuration_url=CONFIGURATION_URL,
        )
