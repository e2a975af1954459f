"""The floor: a LOQED webhook handler that writes the lock state and does nothing else.

Benchmarks only, never shipped, and unsafe by design: it verifies nothing (no hash, no
timestamp, no replay check), so anyone on the network could set its state. It is what any
integration in this Home Assistant process costs at least on the same path: Home Assistant's
HTTP server and webhook dispatch, one JSON parse, one entity state write. Commands are the same
minimum: sign (HMAC-SHA256), one GET to the bridge, return when it answers.

Configured from YAML by ``benchmarks/run``::

    limit:
      webhook_id: <random>
      bridge_url: http://127.0.0.1:<port of its own emulator>
      lock_key: <Base64>
      local_key_id: 1
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.const import Platform
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.discovery import async_load_platform
import voluptuous as vol

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.typing import ConfigType

DOMAIN: Final = "limit"
CONF_WEBHOOK_ID: Final = "webhook_id"
CONF_BRIDGE_URL: Final = "bridge_url"
CONF_LOCK_KEY: Final = "lock_key"
CONF_LOCAL_KEY_ID: Final = "local_key_id"

CONFIG_SCHEMA: Final = vol.Schema(
    {
        DOMAIN: vol.Schema(
            {
                vol.Required(CONF_WEBHOOK_ID): cv.string,
                vol.Required(CONF_BRIDGE_URL): cv.string,
                vol.Required(CONF_LOCK_KEY): cv.string,
                vol.Required(CONF_LOCAL_KEY_ID): vol.Coerce(int),
            }
        )
    },
    extra=vol.ALLOW_EXTRA,
)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Load the lock platform with the YAML settings."""
    hass.async_create_task(
        async_load_platform(hass, Platform.LOCK, DOMAIN, dict(config[DOMAIN]), config),
        eager_start=True,
    )
    return True
