"""The bridge relay (experimental): one button, disabled by default.

The only public trace of a relay command is "command type 89" (an unsigned 11-byte message
through ``/to_lock``), never verified on hardware. Nothing confirms that it did anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription

from .entity import LoqedEntity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import LoqedConfigEntry, LoqedCoordinator

# The commander serialises everything sent through /to_lock on one bridge.
PARALLEL_UPDATES = 0

RELAY_DESCRIPTION = ButtonEntityDescription(
    key="relay",
    translation_key="relay",
    entity_registry_enabled_default=False,
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: LoqedConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the experimental relay button of the bridge."""
    async_add_entities([LoqedRelayButton(entry.runtime_data, RELAY_DESCRIPTION)])


class LoqedRelayButton(LoqedEntity, ButtonEntity):
    """Pulse the bridge's relay (experimental, unverified on hardware)."""

    def __init__(self, coordinator: LoqedCoordinator, description: ButtonEntityDescription) -> None:
        """Attach the button to the bridge device."""
        super().__init__(coordinator, description, "bridge")

    async def async_press(self) -> None:
        """Send the relay message once."""
        await self.coordinator.commander.async_relay()
