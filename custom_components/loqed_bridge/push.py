"""Incoming bridge webhooks: verify before anything changes, then hand the event over.

This is the hot path from a lock movement to a state change: one body read, one hash, one
reducer step, no executor jobs and no logging above debug level for accepted messages.
"""

from __future__ import annotations

from collections import Counter
import time
from typing import TYPE_CHECKING, Final

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback

from aioloqed import (
    RejectedWebhook,
    RejectReason,
    UnverifiableWebhook,
    VerifiedWebhook,
    WebhookVerifier,
)

from .const import DOMAIN, LOGGER

if TYPE_CHECKING:
    from .coordinator import LoqedCoordinator

VERIFIED: Final = "verified"
UNVERIFIABLE: Final = "unverifiable"
SIGNED_MEMORY: Final = 600.0
"""Seconds after a verified webhook during which unsigned ones do not mark the bridge unsigned."""

_REJECT_EXPLANATIONS: Final[dict[RejectReason, str]] = {
    RejectReason.BAD_HASH: (
        "its signature does not match the bridge key (someone else on the network, or the "
        "bridge key changed)"
    ),
    RejectReason.STALE: (
        "its timestamp is %.0f s away from this computer's clock (allowed: %.0f s); check that "
        "the clocks of Home Assistant and the bridge are right, or widen the window in the options"
    ),
    RejectReason.REPLAY: "it was already received once (a replayed message)",
    RejectReason.TOO_LARGE: "its body is larger than a bridge ever sends",
    RejectReason.NOT_JSON: "its signed body is not a JSON object",
    RejectReason.BAD_HEADER: "its TIMESTAMP header is not a number",
}


class PushReceiver:
    """Our Home Assistant webhook for one bridge, with counters for diagnostics."""

    def __init__(self, coordinator: LoqedCoordinator, verifier: WebhookVerifier) -> None:
        """Bind the receiver to its coordinator and the bridge's verifier."""
        self._coordinator = coordinator
        self.verifier = verifier
        self.counters: Counter[str] = Counter()
        """Webhooks received by outcome: ``verified``, ``unverifiable`` or a reject reason."""
        self.signed: bool | None = None
        """Whether the bridge signs its webhooks: ``None`` until one arrived."""
        self.last_skew: float | None = None
        """Bridge clock minus ours, from the last webhook with a valid signature."""
        self.last_verified: float | None = None
        """Unix time of the last verified webhook."""
        self._logged: set[str] = set()

    @callback
    def async_register(self, hass: HomeAssistant, webhook_id: str, name: str) -> None:
        """Register the Home Assistant webhook (POST only, local network only).

        A handler left behind under the same id (which Home Assistant would refuse with
        "Handler is already defined") is replaced.
        """
        webhook.async_unregister(hass, webhook_id)
        webhook.async_register(
            hass,
            DOMAIN,
            name,
            webhook_id,
            self.async_handle,
            local_only=True,
            allowed_methods=("POST",),
        )

    @callback
    def async_unregister(self, hass: HomeAssistant, webhook_id: str) -> None:
        """Remove the Home Assistant webhook handler (the bridge registration stays)."""
        webhook.async_unregister(hass, webhook_id)

    async def async_handle(
        self,
        hass: HomeAssistant,  # noqa: ARG002 - webhook handler signature
        webhook_id: str,  # noqa: ARG002
        request: web.Request,
    ) -> web.Response:
        """Verify one webhook and apply it; 200 for verified and unverifiable, 401 otherwise."""
        body = await request.read()
        now = time.time()
        result = self.verifier.verify(body, request.headers, now)
        if type(result) is VerifiedWebhook:
            self.counters[VERIFIED] += 1
            self.signed = True
            self.last_skew = result.skew
            self.last_verified = now
            self._coordinator.async_push_event(result.event, now)
            return web.Response()
        if type(result) is UnverifiableWebhook:
            self._unverifiable(now)
            return web.Response()
        if TYPE_CHECKING:
            assert isinstance(result, RejectedWebhook)
        self._rejected(result)
        return web.Response(status=401)

    def _unverifiable(self, now: float) -> None:
        self.counters[UNVERIFIABLE] += 1
        if self.last_verified is None or now - self.last_verified > SIGNED_MEMORY:
            # Only unsigned webhooks lately: the bridge does not sign (any more).
            self.signed = False
        if UNVERIFIABLE not in self._logged:
            self._logged.add(UNVERIFIABLE)
            LOGGER.info(
                "The LOQED bridge of '%s' sends webhooks without a signature; they are used only "
                "as a signal to read the bridge's status",
                self._coordinator.config_entry.title,
            )
        self._coordinator.async_hint()

    def _rejected(self, result: RejectedWebhook) -> None:
        reason = result.reason
        self.counters[reason.value] += 1
        if result.skew is not None:
            self.last_skew = result.skew
        if reason.value in self._logged:
            return
        self._logged.add(reason.value)
        explanation = _REJECT_EXPLANATIONS[reason]
        if reason is RejectReason.STALE:
            explanation %= (abs(result.skew or 0.0), self.verifier.window)
        LOGGER.warning(
            "Ignored a webhook for '%s': %s. Further webhooks rejected for this reason are "
            "counted in the diagnostics, not logged",
            self._coordinator.config_entry.title,
            explanation,
        )
