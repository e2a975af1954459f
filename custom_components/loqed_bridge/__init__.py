"""LOQED Bridge (local): the LOQED Touch Smart Lock through its bridge, without the cloud."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import CONF_HOST, CONF_PORT, Platform
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError
from homeassistant.helpers import issue_registry as ir

from aioloqed import LoqedAuthenticationError, LoqedCredentials, LoqedCredentialsError

from .commands import lock_key_issue_id
from .const import (
    CONF_BRIDGE_KEY,
    CONF_LOCAL_KEY_ID,
    CONF_LOCK_KEY,
    DOMAIN,
    ISSUE_HTTPS_CALLBACK_URL,
    ISSUE_NO_CALLBACK_URL,
)
from .coordinator import LoqedConfigEntry, LoqedCoordinator
from .registration import async_remove_registration

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

PLATFORMS: list[Platform] = [Platform.LOCK]


async def async_setup_entry(hass: HomeAssistant, entry: LoqedConfigEntry) -> bool:
    """Read the bridge, start push, add the entities."""
    data = entry.data
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
    """Remove our registration from the bridge and our repair issues."""
    await async_remove_registration(hass, entry)
    for issue_id in (
        lock_key_issue_id(entry.entry_id),
        f"{ISSUE_NO_CALLBACK_URL}_{entry.entry_id}",
        f"{ISSUE_HTTPS_CALLBACK_URL}_{entry.entry_id}",
    ):
        ir.async_delete_issue(hass, DOMAIN, issue_id)
