"""Binary sensors: the lock's link to the bridge, and whether push works."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory

from .entity import DeviceKind, LoqedEntity

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import LoqedConfigEntry, LoqedCoordinator

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class LoqedBinarySensorDescription(BinarySensorEntityDescription):
    """A binary sensor, the device it belongs to, and how to read it."""

    value_fn: Callable[[LoqedCoordinator], bool | None]
    device: DeviceKind = "lock"


BINARY_SENSORS: tuple[LoqedBinarySensorDescription, ...] = (
    LoqedBinarySensorDescription(
        key="lock_connected",
        translation_key="lock_connected",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda coordinator: coordinator.data.lock_online,
    ),
    LoqedBinarySensorDescription(
        key="push_problem",
        translation_key="push_problem",
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        device="bridge",
        # On (a problem) while our registration is missing, the bridge does not sign its
        # webhooks, or something happened that no verified webhook reported.
        value_fn=lambda coordinator: not coordinator.push_healthy,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: LoqedConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of the lock and the bridge."""
    coordinator = entry.runtime_data
    async_add_entities(
        LoqedBinarySensor(coordinator, description) for description in BINARY_SENSORS
    )


class LoqedBinarySensor(LoqedEntity, BinarySensorEntity):
    """A yes/no fact about the lock or the bridge."""

    entity_description: LoqedBinarySensorDescription

    def __init__(
        self, coordinator: LoqedCoordinator, description: LoqedBinarySensorDescription
    ) -> None:
        """Attach the sensor to its device."""
        super().__init__(coordinator, description, description.device)

    @property
    def is_on(self) -> bool | None:
        """The current value."""
        return self.entity_description.value_fn(self.coordinator)

    def _shown(self) -> object | None:
        return (self.is_on,)
