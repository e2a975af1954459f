"""The coordinator of one bridge: push first, status reads as the fallback.

State comes from verified webhooks (``async_push_event``). ``/status`` is read at setup, rarely
while push works, every 45 s while it does not, after unsigned webhooks (as a hint) and to check
commands. The webhook registration on the bridge is reconciled at setup, every 10 minutes, and
when a status read shows that the bridge rebooted or its webhook count changed.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from aioloqed import (
    BridgeStatus,
    GoingToStateEvent,
    LoqedAuthenticationError,
    LoqedBridge,
    LoqedConnectionError,
    LoqedError,
    LoqedEvent,
    StateReachedEvent,
    WebhookVerifier,
)

from .commands import LoqedCommander
from .const import (
    CONF_TIMESTAMP_WINDOW,
    DEFAULT_TIMESTAMP_WINDOW,
    DOMAIN,
    FALLBACK_POLL_INTERVAL,
    HEALTHY_POLL_INTERVAL,
    HINT_FIRST_DELAY,
    HINT_SECOND_DELAY,
    LOGGER,
    RECONCILE_INTERVAL,
    RECONCILE_MIN_SPACING,
    STATUS_LAG_GRACE,
)
from .data import LoqedData, apply_event, apply_status
from .push import PushReceiver
from .registration import WebhookRegistrar

if TYPE_CHECKING:
    from datetime import datetime

    from aioloqed import LoqedCredentials

type LoqedConfigEntry = ConfigEntry[LoqedCoordinator]

HINT_MIN_SPACING: Final = 10.0
"""Seconds between the starts of two hint-triggered pairs of status reads."""


class LoqedCoordinator(DataUpdateCoordinator[LoqedData]):
    """Keep the state of one bridge and its lock."""

    config_entry: LoqedConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: LoqedConfigEntry, credentials: LoqedCredentials
    ) -> None:
        """Build the bridge client, the webhook receiver, the registrar and the commander."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=FALLBACK_POLL_INTERVAL,
            always_update=False,
        )
        self.bridge = LoqedBridge.from_credentials(
            credentials, session=async_get_clientsession(hass)
        )
        self.push = PushReceiver(
            self,
            WebhookVerifier(
                credentials.bridge_key_bytes,
                window=float(entry.options.get(CONF_TIMESTAMP_WINDOW, DEFAULT_TIMESTAMP_WINDOW)),
            ),
        )
        self.registrar = WebhookRegistrar(hass, entry, self.bridge)
        self.commander = LoqedCommander(self)
        self.data = LoqedData()
        self._last_lock_event: float | None = None
        self._awaiting_push = False
        self._up_timestamp: int | None = None
        self._reconcile_lock = asyncio.Lock()
        self._last_triggered_reconcile = -RECONCILE_MIN_SPACING
        self._hint_unsub: CALLBACK_TYPE | None = None
        self._hint_pending = False
        self._next_hint_start = 0.0
        self._unsub_periodic: CALLBACK_TYPE | None = None
        self._unsub_delayed_reconcile: CALLBACK_TYPE | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def bridge_address(self) -> str:
        """``host:port`` of the bridge, for messages."""
        return f"{self.bridge.host}:{self.bridge.port}"

    async def async_start_push(self) -> None:
        """Register our Home Assistant webhook and our registration on the bridge.

        Raises :class:`LoqedAuthenticationError` when the bridge refuses the bridge key.
        """
        entry = self.config_entry
        webhook_id = entry.data[CONF_WEBHOOK_ID]
        self.push.async_register(self.hass, webhook_id, entry.title)
        entry.async_on_unload(lambda: self.push.async_unregister(self.hass, webhook_id))
        async with self._reconcile_lock:
            await self.registrar.async_reconcile()
        self.async_update_poll_interval()
        self._unsub_periodic = async_track_time_interval(
            self.hass,
            self._async_periodic_reconcile,
            RECONCILE_INTERVAL,
            name=f"{DOMAIN} {entry.title} webhook check",
            cancel_on_shutdown=True,
        )

    async def async_shutdown(self) -> None:
        """Cancel timers; the bridge registration is left in place on purpose."""
        await super().async_shutdown()
        if self._unsub_periodic is not None:
            self._unsub_periodic()
            self._unsub_periodic = None
        for unsub in (self._hint_unsub, self._unsub_delayed_reconcile):
            if unsub is not None:
                unsub()
        self._hint_unsub = self._unsub_delayed_reconcile = None
        self._hint_pending = False

    @callback
    def async_options_updated(self) -> None:
        """Apply new options without a reload: the window now, the callback URL by reconcile."""
        options = self.config_entry.options
        self.push.verifier.window = float(
            options.get(CONF_TIMESTAMP_WINDOW, DEFAULT_TIMESTAMP_WINDOW)
        )
        self.async_schedule_reconcile()

    # ------------------------------------------------------------------ polling

    async def _async_update_data(self) -> LoqedData:
        """Read ``/status``; a fresher verified webhook wins over it (the status lags)."""
        started = time.time()
        try:
            status = await self.bridge.status()
        except LoqedConnectionError as err:
            self.update_interval = FALLBACK_POLL_INTERVAL
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="bridge_unreachable",
                translation_placeholders={"address": self.bridge_address},
            ) from err
        except LoqedError as err:
            self.update_interval = FALLBACK_POLL_INTERVAL
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="bridge_bad_answer",
                translation_placeholders={"address": self.bridge_address},
            ) from err
        expected = self.config_entry.unique_id
        if status.bridge_mac_wifi and expected and status.bridge_mac_wifi != expected:
            self.update_interval = FALLBACK_POLL_INTERVAL
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="wrong_bridge",
                translation_placeholders={"address": self.bridge_address},
            )
        self._check_registration_hints(status)
        self.update_interval = (
            HEALTHY_POLL_INTERVAL if self.push_healthy else FALLBACK_POLL_INTERVAL
        )
        keep_lock = self._last_lock_event is not None and (
            self._last_lock_event >= started - STATUS_LAG_GRACE
        )
        return apply_status(self.data, status, keep_lock=keep_lock)

    @property
    def push_healthy(self) -> bool:
        """Registered, signed webhooks arrive, and none went missing after a command."""
        return (
            self.registrar.state.registered
            and not self._awaiting_push
            and self.push.signed is not False
        )

    @callback
    def async_update_poll_interval(self) -> None:
        """Poll rarely while push is healthy, every 45 s otherwise."""
        healthy = self.last_update_success and self.push_healthy
        interval = HEALTHY_POLL_INTERVAL if healthy else FALLBACK_POLL_INTERVAL
        if interval == self.update_interval:
            return
        LOGGER.debug(
            "%s: reading the bridge status every %s (push %s)",
            self.name,
            interval,
            "healthy" if healthy else "not working",
        )
        self.update_interval = interval
        if self._unsub_refresh is not None:
            self._schedule_refresh()

    # ------------------------------------------------------------------ push

    @callback
    def async_push_event(self, event: LoqedEvent, now: float) -> None:
        """Apply a verified webhook event (hot path)."""
        if isinstance(event, GoingToStateEvent | StateReachedEvent):
            self._last_lock_event = now
            self.commander.async_event(event)
        recovered = not self.last_update_success
        self.async_set_updated_data(apply_event(self.data, event))
        if self._awaiting_push or recovered:
            self._awaiting_push = False
            if recovered:
                LOGGER.info("The LOQED bridge of '%s' is sending again", self.name)
            self.async_update_poll_interval()

    @callback
    def async_hint(self) -> None:
        """Read the status soon, and again a few seconds later, after an unsigned webhook.

        Hints that arrive while reads are pending add nothing; pairs of reads start at least
        ``HINT_MIN_SPACING`` seconds apart, so a flood of webhooks cannot flood the bridge.
        """
        if self._hint_pending:
            return
        self._hint_pending = True
        now = time.monotonic()
        start = max(now + HINT_FIRST_DELAY, self._next_hint_start)
        self._next_hint_start = start + HINT_MIN_SPACING
        self._hint_unsub = async_call_later(self.hass, start - now, self._async_hint_first)

    @callback
    def _async_hint_first(self, _now: datetime) -> None:
        self._hint_unsub = async_call_later(self.hass, HINT_SECOND_DELAY, self._async_hint_second)
        self._async_refresh_in_background("hint")

    @callback
    def _async_hint_second(self, _now: datetime) -> None:
        self._hint_unsub = None
        self._hint_pending = False
        self._async_refresh_in_background("hint")

    @callback
    def _async_refresh_in_background(self, why: str) -> None:
        self.config_entry.async_create_background_task(
            self.hass, self.async_refresh(), name=f"{DOMAIN} {self.name} status read ({why})"
        )

    @callback
    def async_note_command(self, *, confirmed_by_push: bool) -> None:
        """Record how the last command was confirmed; no verified webhook means poll often."""
        if not confirmed_by_push and not self._awaiting_push:
            self._awaiting_push = True
            self.async_update_poll_interval()

    # ------------------------------------------------------------------ registration

    def _check_registration_hints(self, status: BridgeStatus) -> None:
        """Reconcile soon when something in the status says the registration may be gone.

        That is: the bridge rebooted, its webhook count is not what we left, or the last attempt
        could not reach it.
        """
        rebooted = (
            self._up_timestamp is not None
            and status.up_timestamp is not None
            and status.up_timestamp != self._up_timestamp
        )
        if status.up_timestamp is not None:
            self._up_timestamp = status.up_timestamp
        expected = self.registrar.state.expected_count
        count_changed = (
            expected is not None
            and status.webhooks_number is not None
            and status.webhooks_number != expected
        )
        registration = self.registrar.state
        retry = not registration.registered and registration.problem == "cannot_connect"
        if not (rebooted or count_changed or retry):
            return
        now = time.monotonic()
        if (wait := self._last_triggered_reconcile + RECONCILE_MIN_SPACING - now) > 0:
            # Too soon after the last one: check once more when the spacing allows it.
            if self._unsub_delayed_reconcile is None:
                self._unsub_delayed_reconcile = async_call_later(
                    self.hass, wait, self._async_delayed_reconcile
                )
            return
        self._last_triggered_reconcile = now
        LOGGER.debug(
            "%s: checking the webhook registration (%s)",
            self.name,
            "bridge restarted"
            if rebooted
            else "webhook count changed"
            if count_changed
            else "bridge reachable again",
        )
        self.async_schedule_reconcile()

    @callback
    def async_schedule_reconcile(self) -> None:
        """Reconcile the bridge's registrations in the background."""
        self.config_entry.async_create_background_task(
            self.hass, self.async_reconcile(), name=f"{DOMAIN} {self.name} webhook check"
        )

    @callback
    def _async_periodic_reconcile(self, _now: datetime) -> None:
        self.async_schedule_reconcile()

    @callback
    def _async_delayed_reconcile(self, _now: datetime) -> None:
        self._unsub_delayed_reconcile = None
        self._last_triggered_reconcile = time.monotonic()
        self.async_schedule_reconcile()

    async def async_reconcile(self) -> None:
        """Reconcile now; a refused bridge key starts reauthentication."""
        async with self._reconcile_lock:
            try:
                await self.registrar.async_reconcile()
            except LoqedAuthenticationError:
                self.config_entry.async_start_reauth(self.hass)
        problem = self.registrar.state.problem
        self.async_update_poll_interval()
        if problem == "cannot_connect" and self.last_update_success:
            # The bridge did not answer: find out soon whether it is gone.
            await self.async_request_refresh()
