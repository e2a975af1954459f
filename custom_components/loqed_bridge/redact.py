"""Keep the entries' webhook ids out of Home Assistant's own log lines.

The webhook id is the secret part of the callback URL ``/api/webhook/<id>``: whoever knows it can
post to it, and only the signature check stands in the way. This integration never logs it, but
Home Assistant does, in a few places on the way to our handler: its webhook component (the debug
line of every request, a method or an address the webhook does not accept, a handler error, a
message for a webhook that is not registered, for example after the entry was removed while the
bridge was offline), the HTTP view's debug line, the security filter's warnings, and aiohttp's
access log when someone turns it on. A filter on those loggers replaces our ids in their records
before any handler formats them. Ids stay in the filter until Home Assistant stops: the bridge
may keep calling a webhook of an unloaded or removed entry.
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import TYPE_CHECKING, Final

from homeassistant.const import EVENT_HOMEASSISTANT_CLOSE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Iterable

WATCHED_LOGGERS: Final = (
    "homeassistant.components.webhook",
    "homeassistant.helpers.http",
    "homeassistant.components.http.security_filter",
    "aiohttp.access",
)
REDACTED_ID: Final = "**REDACTED**"
_FILTER: Final[HassKey[WebhookIdFilter]] = HassKey(f"{DOMAIN}_webhook_id_filter")


class WebhookIdFilter(logging.Filter):
    """Replace known webhook ids in a record's message and string arguments."""

    def __init__(self) -> None:
        """Start without ids."""
        super().__init__()
        self.webhook_ids: frozenset[str] = frozenset()
        """Replaced, never changed in place: records may be filtered in other threads."""

    def _has_id(self, text: str) -> bool:
        return any(webhook_id in text for webhook_id in self.webhook_ids)

    def _clean(self, value: object) -> object:
        if isinstance(value, str) and self._has_id(value):
            for webhook_id in self.webhook_ids:
                value = value.replace(webhook_id, REDACTED_ID)
        return value

    def _clean_all(self, values: Iterable[object]) -> list[object]:
        return [self._clean(value) for value in values]

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drop it."""
        if not self.webhook_ids:
            return True
        if isinstance(record.msg, str) and self._has_id(record.msg):
            record.msg = self._clean(record.msg)
        args = record.args
        if isinstance(args, Mapping):
            record.args = dict(zip(args, self._clean_all(args.values()), strict=True))
        elif args:
            record.args = tuple(self._clean_all(args))
        return True


@callback
def async_redact_webhook_id(hass: HomeAssistant, webhook_id: str) -> None:
    """Keep ``webhook_id`` out of Home Assistant's log lines from now until it stops."""
    log_filter = hass.data.get(_FILTER)
    if log_filter is None:
        log_filter = hass.data[_FILTER] = WebhookIdFilter()
        loggers = [logging.getLogger(name) for name in WATCHED_LOGGERS]
        for logger in loggers:
            logger.addFilter(log_filter)

        @callback
        def _remove(_event: Event) -> None:
            for logger in loggers:
                logger.removeFilter(log_filter)

        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_CLOSE, _remove)
    log_filter.webhook_ids |= {webhook_id}
