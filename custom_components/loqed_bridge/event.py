"""The "Lock operation" event entity: who opened the door, and how.

One event per operation: going to a state (``locking``, ``unlocking``, ``opening``), reaching it
(``locked``, ``unlocked``, ``opened``) or a motor stall (``jammed``), with the source (app over
Bluetooth, Touch to Open, keypad PIN, remote, by hand...), the key id and the key's name.

Events come from verified webhooks. A change that only a status read saw (a lost webhook, a
bridge that does not sign its webhooks, a change while the bridge was out of reach) is fired
too, with source ``unknown`` and no key, or as our own remote command when one was in flight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback

from .data import OperationType
from .entity import LoqedEntity

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import LoqedConfigEntry, LoqedCoordinator

PARALLEL_UPDATES = 0

OPERATION_DESCRIPTION = EventEntityDescription(
    key="lock_operation",
    translation_key="lock_operation",
    event_types=[kind.value for kind in OperationType],
)

ATTR_SOURCE = "source"
ATTR_KEY_ID = "key_id"
ATTR_KEY_NAME = "key_name"


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: LoqedConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the lock-operation event entity."""
    async_add_entities([LoqedOperationEvent(entry.runtime_data, OPERATION_DESCRIPTION)])


class LoqedOperationEvent(LoqedEntity, EventEntity):
    """Fires once per lock operation."""

    def __init__(self, coordinator: LoqedCoordinator, description: EventEntityDescription) -> None:
        """Start after the operations that happened before the entity existed."""
        super().__init__(coordinator, description)
        operation = coordinator.data.operation
        self._fired = operation.serial if operation is not None else 0

    @callback
    def _handle_coordinator_update(self) -> None:
        operation = self.coordinator.data.operation
        if operation is not None and operation.serial > self._fired:
            self._fired = operation.serial
            self._trigger_event(
                operation.type.value,
                {
                    ATTR_SOURCE: operation.source.value,
                    ATTR_KEY_ID: operation.key_id,
                    ATTR_KEY_NAME: self.coordinator.key_name(operation.key_id),
                },
            )
        super()._handle_coordinator_update()
