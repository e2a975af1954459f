"""LOQED Bridge (local): the LOQED Touch Smart Lock through its bridge, without the cloud."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import CONF_HOST, CONF_PORT, CONF_WEBHOOK_ID, Platform
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError
from homeassistant.helpers.storage import Store

from aioloqed import LoqedAuthenticationError, LoqedCredentials, LoqedCredentialsError

from .const import (
    CONF_API_TOKEN,
    CONF_BRIDGE_KEY,
    CONF_LOCAL_KEY_ID,
    CONF_LOCK_ID,
    CONF_LOCK_KEY,
    DOMAIN,
    LOGGER,
)
from .coordinator import LoqedConfigEntry, LoqedCoordinator
from .devices import async_migrate_devices, async_setup_devices, is_stale_device
from .issues import async_clear_all_issues
from .redact import async_redact_webhook_id
from .registration import async_remove_registration
from .settings import STORE_VERSION, LockSettings, store_key

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.device_registry import DeviceEntry

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.LOCK,
    Platform.SENSOR,
    Platform.SWITCH,
]
CURRENT_MINOR_VERSION = 2


async def async_migrate_entry(hass: HomeAssistant, entry: LoqedConfigEntry) -> bool:
    """1.1 to 1.2: the bridge became a device of its own beside the lock."""
    if entry.version > 1:
        # Written by a newer version of this integration: leave it alone.
        return False
    if entry.minor_version < CURRENT_MINOR_VERSION:
        async_migrate_devices(hass, entry)
        hass.config_entries.async_update_entry(entry, minor_version=CURRENT_MINOR_VERSION)
        LOGGER.debug("Migrated '%s' to version 1.%d", entry.title, CURRENT_MINOR_VERSION)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: LoqedConfigEntry) -> bool:
    """Read the bridge, start push, add the entities."""
    data = entry.data
    # Before anything can log it (the bridge may call while the entry is still starting).
    async_redact_webhook_id(hass, str(data[CONF_WEBHOOK_ID]))
    try:
        credentials = LoqedCredentials(
            host=data[CONF_HOST],
            port=data[CONF_PORT],
            bridge_key=data[CONF_BRIDGE_KEY],
            lock_key=data[CONF_LOCK_KEY],
            local_key_id=data[CONF_LOCAL_KEY_ID],
        )
    except LoqedCredentialsError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="invalid_entry",
            translation_placeholders={"field": err.field},
        ) from err
    coordinator = LoqedCoordinator(hass, entry, credentials)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    try:
        await coordinator.async_start_push()
    except LoqedAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="bridge_key_refused",
            translation_placeholders={"address": coordinator.bridge_address},
        ) from err
    if (token := data.get(CONF_API_TOKEN)) and (lock_id := data.get(CONF_LOCK_ID)):
        settings = LockSettings(hass, entry, token, lock_id)
        await settings.async_load()
        coordinator.settings = settings
        if settings.may_read:
            entry.async_create_background_task(
                hass, settings.async_refresh(), name=f"{DOMAIN} {entry.title} lock settings"
            )
    async_setup_devices(hass, entry, coordinator.data.status)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    return True


async def _async_entry_updated(hass: HomeAssistant, entry: LoqedConfigEntry) -> None:  # noqa: ARG001
    """Apply new options in place (data changes come with their own reload)."""
    entry.runtime_data.async_options_updated()


async def async_unload_entry(hass: HomeAssistant, entry: LoqedConfigEntry) -> bool:
    """Unload without talking to the bridge, so it works while the bridge is offline.

    The webhook handler and the timers go with the entry (``async_on_unload``); the bridge keeps
    our registration, which the next setup finds again.
    """
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: LoqedConfigEntry) -> None:
    """Remove our registration from the bridge, our repair issues and stored settings."""
    await async_remove_registration(hass, entry)
    async_clear_all_issues(hass, entry.entry_id)
    await Store[dict[str, object]](hass, STORE_VERSION, store_key(entry.entry_id)).async_remove()


async def async_remove_config_entry_device(
    hass: HomeAssistant,  # noqa: ARG001
    entry: LoqedConfigEntry,
    device: DeviceEntry,
) -> bool:
    """Let the user delete a device that is neither this entry's bridge nor its lock."""
    return is_stale_device(entry, device)
