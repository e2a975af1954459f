"""Base entity: unique ids from the bridge's MAC, on the lock device or the bridge device."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from homeassistant.core import callback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import LoqedCoordinator
from .devices import bridge_device_info, bridge_identifier, lock_device_info

if TYPE_CHECKING:
    from homeassistant.helpers.entity import EntityDescription

type DeviceKind = Literal["lock", "bridge"]


class LoqedEntity(CoordinatorEntity[LoqedCoordinator]):
    """An entity of the lock behind one bridge, or of the bridge itself."""

    _attr_has_entity_name = True
    _written: object = None

    def _shown(self) -> object | None:
        """Return what this entity's state depends on (None: write on every update)."""
        return None

    @callback
    def _handle_coordinator_update(self) -> None:
        shown = self._shown()
        if shown is not None:
            key = (self.available, shown)
            if key == self._written:
                return
            self._written = key
        super()._handle_coordinator_update()

    def __init__(
        self,
        coordinator: LoqedCoordinator,
        description: EntityDescription,
        device: DeviceKind = "lock",
    ) -> None:
        """Describe the entity and the device it belongs to."""
        super().__init__(coordinator, context=description.key)
        self.entity_description = description
        entry = coordinator.config_entry
        self._attr_unique_id = f"{bridge_identifier(entry)}-{description.key}"
        self._attr_device_info = (
            lock_device_info(entry)
            if device == "lock"
            else bridge_device_info(entry, coordinator.data.status)
        )
