"""Lock settings as switches (optional, through the LOQED cloud, state assumed between reads)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory

from aioloqed import LockSetting

from .entity import LoqedEntity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import LoqedConfigEntry, LoqedCoordinator
    from .settings import LockSettings

# One cloud request at a time: the cloud counts every request against a small allowance.
PARALLEL_UPDATES = 1

SETTING_SWITCHES: tuple[SwitchEntityDescription, ...] = tuple(
    SwitchEntityDescription(
        key=setting.value, translation_key=setting.value, entity_category=EntityCategory.CONFIG
    )
    for setting in LockSetting
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: LoqedConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the setting switches when the entry keeps a personal access token."""
    coordinator = entry.runtime_data
    if (settings := coordinator.settings) is None:
        return
    async_add_entities(
        LoqedSettingSwitch(coordinator, settings, description) for description in SETTING_SWITCHES
    )


class LoqedSettingSwitch(LoqedEntity, SwitchEntity):
    """One lock setting; its state is assumed between the rare cloud reads."""

    _attr_assumed_state = True

    def __init__(
        self,
        coordinator: LoqedCoordinator,
        settings: LockSettings,
        description: SwitchEntityDescription,
    ) -> None:
        """Bind the switch to the entry's cloud settings."""
        super().__init__(coordinator, description)
        self._settings = settings
        self._setting = LockSetting(description.key)

    async def async_added_to_hass(self) -> None:
        """Follow the settings' reads and changes."""
        await super().async_added_to_hass()
        self.async_on_remove(self._settings.async_add_listener(self.async_write_ha_state))

    @property
    def is_on(self) -> bool | None:
        """The value last read or set (``None`` before the first read)."""
        return self._settings.values[self._setting]

    async def async_turn_on(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Turn the setting on through the cloud."""
        await self._settings.async_set(self._setting, True)  # noqa: FBT003

    async def async_turn_off(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Turn the setting off through the cloud."""
        await self._settings.async_set(self._setting, False)  # noqa: FBT003
