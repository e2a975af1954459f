"""Incoming bridge webhooks: verify before anything changes, then hand the event over.

This is the hot path from a lock movement to a state change: one body read, one hash, one
reducer step, no executor jobs and no logging above debug level for accepted messages. Anything
else (forged, broken, other methods) changes no state and is logged once per kind.
"""

from __future__ import annotations

from collections import Counter, deque
from ipaddress import ip_address
import statistics
import time
from typing import TYPE_CHECKING, Final

from aiohttp import hdrs, web
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import is_cloud_connection
from homeassistant.util.aiohttp import MockRequest
from homeassistant.util.network import is_local

from aioloqed import (
    RejectedWebhook,
    RejectReason,
    UnverifiableWebhook,
    VerifiedWebhook,
    WebhookVerifier,
)

from .const import DOMAIN, ISSUE_CLOCK_SKEW, LOGGER, STALE_WEBHOOKS_FOR_ISSUE
from .issues import async_clear_issue, async_raise_issue

if TYPE_CHECKING:
    from .coordinator import LoqedCoordinator

VERIFIED: Final = "verified"
UNVERIFIABLE: Final = "unverifiable"
UNREADABLE: Final = "unreadable"
WRONG_METHOD: Final = "wrong_method"
NOT_LOCAL: Final = "not_local"
ALLOWED_METHODS: Final = (hdrs.METH_GET, hdrs.METH_POST, hdrs.METH_PUT)
"""Every method Home Assistant routes to webhooks but HEAD (which it answers itself, silently).

The bridge only POSTs. Home Assistant's own answer to a method a webhook does not take is a
warning with the webhook id in it, per request; we answer those (405) ourselves instead.
"""
SKEW_SAMPLES: Final = 20
"""How many recent clock differences the skew estimate is the median of."""
REMOTES_REMEMBERED: Final = 64
"""Sender addresses whose locality is remembered (a bridge always sends from the same one)."""


def is_local_remote(remote: str | None) -> bool:
    """Whether a request's sender address is on the local network (loopback, private, link-local).

    The same rule as Home Assistant's own ``local_only`` webhooks; an address that cannot be
    read is not local.
    """
    if remote is None:
        return False
    try:
        return is_local(ip_address(remote))
    except ValueError:
        return False


_REJECT_EXPLANATIONS: Final[dict[RejectReason, str]] = {
    RejectReason.BAD_HASH: (
        "its signature does not match the bridge key (someone else on the network, or the "
        "bridge key changed)"
    ),
    RejectReason.STALE: (
        "its timestamp is %.0f s away from this computer's clock (allowed: %.0f s); check that "
        "the clocks of Home Assistant and the bridge are right, or widen the window in the options"
    ),
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
        self.last_received: float | None = None
        """Unix time of the last webhook from the bridge: verified, or unsigned from a bridge
        known not to sign (anyone can send an unsigned webhook; rejected ones never count)."""
        self.last_unsigned: float | None = None
        """Unix time of the last unsigned webhook (from the bridge or from anyone)."""
        self.stale_in_a_row = 0
        """Authentic webhooks outside the clock window since the last verified one."""
        self._skews: deque[float] = deque(maxlen=SKEW_SAMPLES)
        self._logged: set[str] = set()
        self._remotes: dict[str | None, bool] = {}
        """Sender address -> on the local network (see :meth:`_local`)."""

    @property
    def skew_estimate(self) -> float | None:
        """Bridge clock minus ours (seconds): the median of the recent authentic webhooks.

        It includes the delivery delay, which makes it a little negative on a healthy network.
        """
        return statistics.median(self._skews) if self._skews else None

    @callback
    def async_register(self, hass: HomeAssistant, webhook_id: str, name: str) -> None:
        """Register the Home Assistant webhook (POST only, local network only).

        A handler left behind under the same id (which Home Assistant would refuse with
        "Handler is already defined") is replaced. The local-network rule is ours (see
        :meth:`_local`), not Home Assistant's ``local_only``, which parses the sender's address
        again for every request.
        """
        webhook.async_unregister(hass, webhook_id)
        webhook.async_register(
            hass,
            DOMAIN,
            name,
            webhook_id,
            self.async_handle,
            local_only=False,
            allowed_methods=ALLOWED_METHODS,
        )

    @callback
    def async_unregister(self, hass: HomeAssistant, webhook_id: str) -> None:
        """Remove the Home Assistant webhook handler (the bridge registration stays)."""
        webhook.async_unregister(hass, webhook_id)

    async def async_handle(  # noqa: PLR0911 - one return per documented answer
        self,
        hass: HomeAssistant,
        webhook_id: str,  # noqa: ARG002 - webhook handler signature
        request: web.Request,
    ) -> web.Response:
        """Verify one webhook and apply it.

        Answers 200 for verified, unverifiable and replayed webhooks (the last two are hints),
        401 for the other rejections, 413 for a body too large, 400 for one that cannot
        be decoded, 405 for a method other than POST, and 200 without reading anything for a
        request from outside the local network (as Home Assistant answers for a local-only
        webhook: nothing tells the sender whether the webhook exists).
        """
        if request.method != hdrs.METH_POST:
            return self._refused(
                WRONG_METHOD, 405, f"it came with the method {request.method} (the bridge POSTs)"
            )
        if not self._local(hass, request):
            return self._refused(
                NOT_LOCAL,
                200,
                "it came from outside the local network (the bridge is on the local network)",
            )
        body = await self._async_read(request)
        if not isinstance(body, bytes):
            # The answer for a body that cannot be taken. (Told apart by ``bytes``: a check
            # against ``web.Response``, a ``MutableMapping``, goes through ``abc`` in Python.)
            return body
        now = time.time()
        result = self.verifier.verify(body, request.headers, now)
        if type(result) is VerifiedWebhook:
            # What the entities show first (they read these), the bookkeeping after.
            self.signed = True
            self.last_verified = self.last_received = now
            self.last_skew = skew = result.skew
            self._coordinator.async_push_event(result.event, now)
            self.counters[VERIFIED] += 1
            self._skews.append(skew)
            if self.stale_in_a_row:
                self.stale_in_a_row = 0
                coordinator = self._coordinator
                async_clear_issue(
                    coordinator.hass, coordinator.config_entry.entry_id, ISSUE_CLOCK_SKEW
                )
            return web.Response()
        if type(result) is UnverifiableWebhook:
            self._unverifiable(now)
            return web.Response()
        if TYPE_CHECKING:
            assert isinstance(result, RejectedWebhook)
        if result.reason is RejectReason.REPLAY:
            self._replayed()
            return web.Response()
        self._rejected(result)
        return web.Response(status=413 if result.reason is RejectReason.TOO_LARGE else 401)

    def _local(self, hass: HomeAssistant, request: web.Request | MockRequest) -> bool:
        """Whether the request came from the local network, and not through Home Assistant Cloud.

        Requests Home Assistant makes itself (a ``MockRequest``: the webhook test command of
        an authenticated user) pass, as for Home Assistant's own local-only webhooks. Each
        sender address is judged once and remembered.
        """
        if isinstance(request, MockRequest):
            return True
        remote = request.remote
        local = self._remotes.get(remote)
        if local is None:
            if len(self._remotes) >= REMOTES_REMEMBERED:
                self._remotes.clear()
            local = self._remotes[remote] = is_local_remote(remote)
        return local and not is_cloud_connection(hass)

    async def _async_read(self, request: web.Request | MockRequest) -> bytes | web.Response:
        """Read the body, or answer why it cannot be read (without reading it when too large)."""
        if isinstance(request, MockRequest):
            # Home Assistant's own "handle webhook" command: the body is in memory already.
            return await request.content.read()
        try:
            content = request.content
            if content.is_eof():
                # The whole body came with the headers (a bridge's small POST): take it as is
                # (the verifier refuses one too large).
                return content.read_nowait()
            length = request.content_length
            if length is not None and length > self.verifier.max_body_size:
                # Never read what no bridge sends (Home Assistant would take up to 16 MiB); the
                # server discards the rest.
                return self._too_large()
            return await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._too_large()
        except web.RequestPayloadError:
            # A body that does not decompress (a bogus Content-Encoding).
            return self._refused(
                UNREADABLE, 400, "its body could not be read (bad Content-Encoding)"
            )

    def _too_large(self) -> web.Response:
        return self._refused(
            RejectReason.TOO_LARGE.value, 413, _REJECT_EXPLANATIONS[RejectReason.TOO_LARGE]
        )

    def _refused(self, reason: str, status: int, explanation: str) -> web.Response:
        """Refuse a request before verification; counted, logged once, nothing changes."""
        self.counters[reason] += 1
        self._log_once(reason, explanation)
        return web.Response(status=status)

    def _log_once(self, reason: str, explanation: str) -> None:
        if reason in self._logged:
            return
        self._logged.add(reason)
        LOGGER.warning(
            "Ignored a webhook for '%s': %s. Further webhooks rejected for this reason are "
            "counted in the diagnostics, not logged",
            self._coordinator.config_entry.title,
            explanation,
        )

    def _replayed(self) -> None:
        """Take a byte-identical copy of an accepted webhook as a hint, never as state.

        The bridge signs with whole seconds, so a genuine repeat of the same event within one
        second (the same command twice, a quick knob turn back and forth) looks exactly like a
        replay. Reading the status tells which it was.
        """
        self.counters[RejectReason.REPLAY.value] += 1
        LOGGER.debug(
            "%s: a webhook identical to an earlier one came in; reading the status",
            self._coordinator.config_entry.title,
        )
        self._coordinator.async_hint()

    def _unverifiable(self, now: float) -> None:
        """Take an unsigned webhook as a hint: anyone on the network can send one.

        It proves nothing about the bridge by itself; the status read it triggers does (see
        :meth:`async_bridge_unsigned`).
        """
        self.counters[UNVERIFIABLE] += 1
        self.last_unsigned = now
        coordinator = self._coordinator
        if self.signed is False:
            # The bridge is known not to sign: this is how it talks.
            self.last_received = now
            coordinator.async_update_listeners()
        coordinator.async_hint()

    @callback
    def async_bridge_unsigned(self) -> None:
        """Take the bridge as not signing: a status read found a change only unsigned ones told.

        A bridge that signs would have sent a verified webhook for it: this one does not sign
        (Shelly-based bridges, or a firmware change). The next verified webhook says otherwise.
        """
        self.signed = False
        self.last_received = self.last_unsigned
        if UNVERIFIABLE not in self._logged:
            self._logged.add(UNVERIFIABLE)
            LOGGER.info(
                "The LOQED bridge of '%s' sends webhooks without a signature; they are used only "
                "as a signal to read the bridge's status",
                self._coordinator.config_entry.title,
            )

    def _rejected(self, result: RejectedWebhook) -> None:
        reason = result.reason
        self.counters[reason.value] += 1
        if result.skew is not None:
            # Authentic (the hash matched) but outside the window: the clocks disagree, or the
            # delivery took that long. Something happened at the lock: read the status.
            self.last_skew = result.skew
            self._skews.append(result.skew)
            self._stale(result.skew)
        explanation = _REJECT_EXPLANATIONS[reason]
        if reason is RejectReason.STALE:
            explanation %= (abs(result.skew or 0.0), self.verifier.window)
        self._log_once(reason.value, explanation)

    def _stale(self, skew: float) -> None:
        coordinator = self._coordinator
        self.stale_in_a_row += 1
        if self.stale_in_a_row >= STALE_WEBHOOKS_FOR_ISSUE:
            async_raise_issue(
                coordinator.hass,
                coordinator.config_entry,
                ISSUE_CLOCK_SKEW,
                placeholders={
                    "skew": f"{abs(skew):.0f}",
                    "window": f"{self.verifier.window:.0f}",
                },
            )
        coordinator.async_hint()
