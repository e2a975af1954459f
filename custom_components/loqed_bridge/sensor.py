"""Sensors: battery, battery type and voltage, signal strengths, and the last push received."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfElectricPotential
from homeassistant.util import dt as dt_util

from aioloqed import BatteryType

from .entity import DeviceKind, LoqedEntity

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import LoqedConfigEntry, LoqedCoordinator

PARALLEL_UPDATES = 0

BATTERY_TYPES = [kind.value for kind in BatteryType if kind is not BatteryType.UNKNOWN]


def _battery_type(coordinator: LoqedCoordinator) -> str | None:
    kind = coordinator.data.battery_type
    return None if kind is None or kind is BatteryType.UNKNOWN else kind.value


def _battery_voltage(coordinator: LoqedCoordinator) -> float | None:
    status = coordinator.data.status
    return status.battery_voltage if status is not None else None


def _percent(value: int | None) -> int | None:
    """Return a signal in percent; old firmware reported dBm (negative), not shown."""
    return value if value is not None and 0 <= value <= 100 else None  # noqa: PLR2004


def _last_push(coordinator: LoqedCoordinator) -> datetime | None:
    received = coordinator.push.last_received
    return dt_util.utc_from_timestamp(received) if received is not None else None


@dataclass(frozen=True, kw_only=True)
class LoqedSensorDescription(SensorEntityDescription):
    """A sensor, the device it belongs to, and how to read its value."""

    value_fn: Callable[[LoqedCoordinator], float | int | str | datetime | None]
    device: DeviceKind = "lock"


SENSORS: tuple[LoqedSensorDescription, ...] = (
    LoqedSensorDescription(
        key="battery",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda coordinator: coordinator.data.battery_percentage,
    ),
    LoqedSensorDescription(
        key="battery_type",
        translation_key="battery_type",
        device_class=SensorDeviceClass.ENUM,
        options=BATTERY_TYPES,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_battery_type,
    ),
    LoqedSensorDescription(
        key="battery_voltage",
        translation_key="battery_voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_battery_voltage,
    ),
    LoqedSensorDescription(
        key="ble_strength",
        translation_key="ble_strength",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda coordinator: _percent(coordinator.data.ble_strength),
    ),
    LoqedSensorDescription(
        key="wifi_strength",
        translation_key="wifi_strength",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        device="bridge",
        value_fn=lambda coordinator: _percent(coordinator.data.wifi_strength),
    ),
    LoqedSensorDescription(
        key="last_push",
        translation_key="last_push",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        # It changes with every webhook; enabled, it would fill the logbook and the recorder.
        entity_registry_enabled_default=False,
        device="bridge",
        value_fn=_last_push,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: LoqedConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of the lock and the bridge."""
    coordinator = entry.runtime_data
    async_add_entities(LoqedSensor(coordinator, description) for description in SENSORS)


class LoqedSensor(LoqedEntity, SensorEntity):
    """A value of the lock or the bridge."""

    entity_description: LoqedSensorDescription

    def __init__(self, coordinator: LoqedCoordinator, description: LoqedSensorDescription) -> None:
        """Attach the sensor to its device."""
        super().__init__(coordinator, description, description.device)

    @property
    def native_value(self) -> float | int | str | datetime | None:
        """The current value."""
        return self.entity_description.value_fn(self.coordinator)

    def _shown(self) -> object | None:
        return (self.native_value,)
