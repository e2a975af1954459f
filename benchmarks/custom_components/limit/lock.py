"""The floor's lock entity: webhook in, state out; command out, return on the bridge's answer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from homeassistant.components import webhook
from homeassistant.components.lock import LockEntity, LockEntityFeature
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.json import json_loads_object

from . import CONF_BRIDGE_URL, CONF_LOCAL_KEY_ID, CONF_LOCK_KEY, CONF_WEBHOOK_ID, DOMAIN

if TYPE_CHECKING:
    from aiohttp import web
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddEntitiesCallback
    from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

REACHED: Final = {"NIGHT_LOCK": "locked", "LATCH": "unlocked", "OPEN": "open"}
GOING: Final = {"NIGHT_LOCK": "locking", "DAY_LOCK": "unlocking", "OPEN": "opening"}
ACTIONS: Final = {"open": 1, "unlock": 2, "lock": 3}


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,  # noqa: ARG001
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add the lock and register its webhook (POST only, no verification)."""
    if discovery_info is None:
        return
    entity = LimitLock(hass, discovery_info)
    webhook.async_register(
        hass,
        DOMAIN,
        "Benchmark floor",
        str(discovery_info[CONF_WEBHOOK_ID]),
        entity.async_handle_webhook,
        allowed_methods=("POST",),
    )
    async_add_entities([entity])


class LimitLock(LockEntity):
    """A lock whose state is whatever the last webhook said."""

    _attr_has_entity_name = True
    _attr_name = "Benchmark floor"
    _attr_unique_id = "benchmark-floor-lock"
    _attr_should_poll = False
    _attr_supported_features = LockEntityFeature.OPEN

    def __init__(self, hass: HomeAssistant, settings: DiscoveryInfoType) -> None:
        """Remember the bridge and the lock key (for commands)."""
        self._session = async_get_clientsession(hass)
        self._bridge_url = str(settings[CONF_BRIDGE_URL]).rstrip("/")
        self._lock_key = base64.b64decode(str(settings[CONF_LOCK_KEY]))
        self._key_id = int(settings[CONF_LOCAL_KEY_ID])
        self._attr_is_locked = None

    async def async_handle_webhook(
        self,
        hass: HomeAssistant,  # noqa: ARG002 - webhook handler signature
        webhook_id: str,  # noqa: ARG002
        request: web.Request,
    ) -> None:
        """Parse the JSON body and write the state it names. Nothing is checked."""
        data = json_loads_object(await request.read())
        event_type = str(data.get("event_type", ""))
        self._attr_changed_by = f"Key {data.get('key_local_id')}"
        if event_type.startswith("STATE_CHANGED_"):
            state = REACHED.get(event_type.removeprefix("STATE_CHANGED_"))
        else:
            state = GOING.get(str(data.get("go_to_state", "")))
        if state is None:
            return
        self._attr_is_locked = state == "locked"
        self._attr_is_open = state == "open"
        self._attr_is_locking = state == "locking"
        self._attr_is_unlocking = state == "unlocking"
        self._attr_is_opening = state == "opening"
        self.async_write_ha_state()

    async def _async_send(self, action: int) -> None:
        timestamp = int(time.time())
        signed = struct.pack(">BBQBBB", 2, 7, timestamp, self._key_id, 1, action)
        mac = hmac.new(self._lock_key, signed, hashlib.sha256).digest()
        message = bytes(8) + signed[:10] + mac + signed[10:]
        value = quote(base64.b64encode(message).decode("ascii"), safe="")
        url = f"{self._bridge_url}/to_lock?command_signed_base64={value}"
        async with self._session.get(url) as response:
            await response.read()
            response.raise_for_status()

    async def async_lock(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Send night lock; return when the bridge answered."""
        await self._async_send(ACTIONS["lock"])

    async def async_unlock(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Send day lock; return when the bridge answered."""
        await self._async_send(ACTIONS["unlock"])

    async def async_open(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Send open; return when the bridge answered."""
        await self._async_send(ACTIONS["open"])
