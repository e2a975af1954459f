"""The coordinator of one bridge: push first, status reads as the fallback.

State comes from verified webhooks (``async_push_event``). ``/status`` is read at setup, every
10 minutes while push works, often while it does not (both intervals are options), after
unsigned, replayed or late webhooks (as a hint, rate-limited), when a motion is shown for too
long, and to check commands. The webhook registration on the bridge is reconciled at setup, every
30 minutes, and when a status read shows that the bridge rebooted or its webhook count changed.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from aioloqed import (
    BridgeStatus,
    LoqedAuthenticationError,
    LoqedBridge,
    LoqedConnectionError,
    LoqedError,
    LoqedEvent,
    WebhookVerifier,
)

from .commands import LoqedCommander
from .const import (
    CONF_LOCAL_KEY_ID,
    DOMAIN,
    ISSUE_PUSH_UNHEALTHY,
    LOCK_ENTITY_KEY,
    LOGGER,
    MOTION_TIMEOUT,
    OWN_KEY_NAME,
    PUSH_ISSUE_AFTER,
    RECHECK_MARGIN,
    RECONCILE_INTERVAL,
    RECONCILE_MIN_SPACING,
    STATUS_LAG_GRACE,
)
from .data import LoqedData, apply_event, apply_status, is_lock_event
from .hints import HintReads
from .issues import async_clear_issue, async_raise_issue
from .options import LoqedOptions
from .push import PushReceiver
from .registration import WebhookRegistrar

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from aioloqed import LoqedCredentials

    from .settings import LockSettings

type LoqedConfigEntry = ConfigEntry[LoqedCoordinator]


@callback
def async_call_later_detached(
    hass: HomeAssistant, delay: float, action: Callable[[datetime], None]
) -> CALLBACK_TYPE:
    """``async_call_later``, armed from an empty context so that the timer holds no request.

    A timer keeps a copy of the context it was armed in until it is due, even once cancelled
    (the event loop drops cancelled timers only now and then), and Home Assistant's HTTP server
    puts the request it is handling in a context variable. Armed while a webhook is handled,
    the timer would keep that request (its connection, headers and body) alive: one per lock
    motion, for the garbage collector to go through again and again.
    """
    return contextvars.Context().run(async_call_later, hass, delay, action)


class LoqedCoordinator(DataUpdateCoordinator[LoqedData]):
    """Keep the state of one bridge and its lock."""

    config_entry: LoqedConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: LoqedConfigEntry, credentials: LoqedCredentials
    ) -> None:
        """Build the bridge client, the webhook receiver, the registrar and the commander."""
        self.options = LoqedOptions.from_mapping(entry.options)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=self.options.fallback_interval,
            always_update=False,
        )
        self.bridge = LoqedBridge.from_credentials(
            credentials, session=async_get_clientsession(hass)
        )
        self.push = PushReceiver(
            self,
            WebhookVerifier(
                credentials.bridge_key_bytes, window=float(self.options.timestamp_window)
            ),
        )
        self.registrar = WebhookRegistrar(hass, entry, self.bridge)
        self.commander = LoqedCommander(self)
        self.settings: LockSettings | None = None
        """The cloud lock settings, when the entry keeps a personal access token."""
        self.data = LoqedData()
        self._last_lock_event: float | None = None
        self._last_hint: float | None = None
        self._awaiting_push = False
        self._up_timestamp: int | None = None
        self._reconcile_lock = asyncio.Lock()
        self._last_triggered_reconcile = -RECONCILE_MIN_SPACING
        self.hints = HintReads()
        """The status reads that unsigned, repeated or late webhooks asked for."""
        self._hint_unsub: CALLBACK_TYPE | None = None
        self._hint_due: float | None = None
        self._motion_unsub: CALLBACK_TYPE | None = None
        self._recheck_unsub: CALLBACK_TYPE | None = None
        self._status_over_motion = False
        self._unsub_periodic: CALLBACK_TYPE | None = None
        self._unsub_delayed_reconcile: CALLBACK_TYPE | None = None
        self._healthy: bool | None = None
        self._unhealthy_since: float | None = None

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
        for unsub in (
            self._hint_unsub,
            self._unsub_delayed_reconcile,
            self._motion_unsub,
            self._recheck_unsub,
        ):
            if unsub is not None:
                unsub()
        self._hint_unsub = self._unsub_delayed_reconcile = self._motion_unsub = None
        self._recheck_unsub = None
        self._hint_due = None
        self.hints.clear()

    @callback
    def async_options_updated(self) -> None:
        """Apply new options without a reload.

        The window, poll intervals, key names and door capability at once; the callback URL by
        a reconcile.
        """
        self.options = LoqedOptions.from_mapping(self.config_entry.options)
        self.push.verifier.window = float(self.options.timestamp_window)
        self.update_interval = None  # make the next line reschedule with the new interval
        self.async_update_poll_interval()
        self.async_update_listeners()
        self.async_schedule_reconcile()

    def key_name(self, key_id: int | None) -> str | None:
        """Name a key id from the options; our own key is "Home Assistant" by default."""
        if key_id is None:
            return None
        if (name := self.options.key_names.get(key_id)) is not None:
            return name
        if key_id == self.config_entry.data.get(CONF_LOCAL_KEY_ID):
            return OWN_KEY_NAME
        return None

    # ------------------------------------------------------------------ polling

    def _unreachable(self) -> UpdateFailed:
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="bridge_unreachable",
            translation_placeholders={"address": self.bridge_address},
        )

    async def _async_update_data(self) -> LoqedData:
        """Read ``/status``; a fresher verified webhook wins over it (the status lags)."""
        started = time.time()
        self.hints.read_started(time.monotonic(), hint=False)
        self._async_schedule_hint_read()
        try:
            status = await self.bridge.status()
        except LoqedConnectionError as err:
            self.update_interval = self.options.fallback_interval
            raise self._unreachable() from err
        except LoqedError as err:
            self.update_interval = self.options.fallback_interval
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="bridge_bad_answer",
                translation_placeholders={"address": self.bridge_address},
            ) from err
        expected = self.config_entry.unique_id
        if status.bridge_mac_wifi and expected and status.bridge_mac_wifi != expected:
            self.update_interval = self.options.fallback_interval
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="wrong_bridge",
                translation_placeholders={"address": self.bridge_address},
            )
        self._check_registration_hints(status)
        # A hint (an unsigned, replayed or late webhook) after the last verified lock event
        # says that the lock moved since: then the status is the better source, and a change
        # it shows was reported (just not in a form we take as state).
        hinted = self._after_last_lock_event(self._last_hint, started)
        # A motion shown for too long: its end was lost, the status says where the lock is.
        overdue, self._status_over_motion = self._status_over_motion, False
        keep_lock = (
            not hinted
            and not overdue
            and self._last_lock_event is not None
            and self._last_lock_event >= started - STATUS_LAG_GRACE
        )
        data = apply_status(self.data, status, keep_lock=keep_lock, command=self.commander.pending)
        if keep_lock and status.bolt_state is not data.lock.bolt_state:
            # The status may only lag the webhook, or the lock moved again and that webhook was
            # lost: read again as soon as the webhook is no longer the fresher source.
            assert self._last_lock_event is not None  # noqa: S101 - implied by keep_lock
            self._async_recheck_at(self._last_lock_event + STATUS_LAG_GRACE)
        changed = data.operation is not self.data.operation
        if changed and hinted:
            if self.push.signed is not False and self._after_last_lock_event(
                self.push.last_unsigned, started
            ):
                # The lock moved, and only an unsigned webhook said so: the bridge does not
                # sign. (An unsigned webhook alone proves nothing: anyone can send one.)
                self.push.async_bridge_unsigned()
        elif changed and self.registrar.state.registered and not self._awaiting_push:
            # The lock moved and no webhook said so: push lost something.
            LOGGER.debug("%s: a status read found a change no webhook reported", self.name)
            self._awaiting_push = True
        self.update_interval = (
            self.options.healthy_interval if self.push_healthy else self.options.fallback_interval
        )
        if data.lock.motion is None:
            self._async_cancel_motion_watch()
        self._async_check_push_health()
        return data

    @callback
    def _async_recheck_at(self, moment: float) -> None:
        """Read the status once more at ``moment`` (Unix time), unless a recheck is armed."""
        if self._recheck_unsub is None:
            self._recheck_unsub = async_call_later_detached(
                self.hass, max(0.0, moment - time.time()) + RECHECK_MARGIN, self._async_recheck
            )

    @callback
    def _async_recheck(self, _now: datetime) -> None:
        self._recheck_unsub = None
        self._async_refresh_in_background("recheck")

    def _after_last_lock_event(self, moment: float | None, started: float) -> bool:
        """Whether ``moment`` (a webhook's arrival) is recent and newer than the last lock event."""
        return (
            moment is not None
            and moment >= started - STATUS_LAG_GRACE
            and (self._last_lock_event is None or moment > self._last_lock_event)
        )

    @callback
    def async_bridge_unreachable(self) -> None:
        """Show that a request (a command) could not reach the bridge: unavailable, poll often.

        Logged once by the coordinator, like a failed status read; the next status read that
        works brings the entities back (and says so once).
        """
        self.async_set_update_error(self._unreachable())
        self.async_update_poll_interval()

    @property
    def awaiting_push(self) -> bool:
        """Something happened that no verified webhook reported; cleared by the next one."""
        return self._awaiting_push

    @property
    def push_healthy(self) -> bool:
        """Registered, the bridge signs, and no command or change went unreported by push."""
        return (
            self.registrar.state.registered
            and not self._awaiting_push
            and self.push.signed is not False
        )

    @callback
    def async_update_poll_interval(self) -> None:
        """Poll rarely while push is healthy, often otherwise; follow push health."""
        self._async_check_push_health()
        healthy = self.last_update_success and self.push_healthy
        options = self.options
        interval = options.healthy_interval if healthy else options.fallback_interval
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

    @callback
    def _async_check_push_health(self) -> None:
        """Track how long push has been unhealthy; raise or clear the repair issue.

        Not raised while another issue or log line already explains it: no usable callback URL
        (its own issue), a bridge that does not sign its webhooks (push works as hints), or a
        bridge that does not answer at all (its entities are unavailable).
        """
        healthy = self.push_healthy
        if healthy is not self._healthy:
            self._healthy = healthy
            self.async_update_listeners()
        state = self.registrar.state
        explained = (
            state.problem == "no_url" or self.push.signed is False or not self.last_update_success
        )
        entry = self.config_entry
        if healthy or explained:
            self._unhealthy_since = None
            async_clear_issue(self.hass, entry.entry_id, ISSUE_PUSH_UNHEALTHY)
            return
        now = time.monotonic()
        if self._unhealthy_since is None:
            self._unhealthy_since = now
        elif now - self._unhealthy_since >= PUSH_ISSUE_AFTER.total_seconds():
            async_raise_issue(
                self.hass,
                entry,
                ISSUE_PUSH_UNHEALTHY,
                placeholders={"minutes": f"{PUSH_ISSUE_AFTER.total_seconds() // 60:.0f}"},
            )

    # ------------------------------------------------------------------ push

    @callback
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: Any = None
    ) -> Callable[[], None]:
        """Add a listener; the lock entity's stay first, as its state is what people wait for.

        Home Assistant calls listeners in the order they were added (platforms set up in
        parallel, entities re-added on changes): keeping the lock's in front costs nothing on
        each update.
        """
        remove = super().async_add_listener(update_callback, context)
        listeners = self._listeners
        if context == LOCK_ENTITY_KEY and next(iter(listeners.values()))[1] != LOCK_ENTITY_KEY:
            ordered = {
                key: value for key, value in listeners.items() if value[1] == LOCK_ENTITY_KEY
            }
            ordered.update(listeners)
            listeners.clear()
            listeners.update(ordered)
        return remove

    @callback
    def async_push_event(self, event: LoqedEvent, now: float) -> None:
        """Apply a verified webhook event (hot path: the lock entity's state is written first)."""
        recovered = not self.last_update_success
        data = apply_event(self.data, event)
        if recovered:
            # Status reads could not reach the bridge: this marks it reachable again.
            self.async_set_updated_data(data)
        else:
            # Not async_set_updated_data: it would re-arm the poll timer on every event.
            self.data = data
            self.async_update_listeners()
        if is_lock_event(event):
            self._last_lock_event = now
            self.commander.async_event(event)
            self._async_watch_motion()
        if recovered:
            LOGGER.info("The LOQED bridge of '%s' is sending again", self.name)
        if self._awaiting_push or recovered:
            self._awaiting_push = False
            self.async_update_poll_interval()

    @callback
    def _async_watch_motion(self) -> None:
        """Bound how long a motion is shown: ``MOTION_TIMEOUT`` after it (last) started."""
        self._async_cancel_motion_watch()
        if self.data.lock.motion is not None:
            self._motion_unsub = async_call_later_detached(
                self.hass, MOTION_TIMEOUT, self._async_motion_overdue
            )

    @callback
    def _async_cancel_motion_watch(self) -> None:
        if self._motion_unsub is not None:
            self._motion_unsub()
            self._motion_unsub = None

    @callback
    def _async_motion_overdue(self, _now: datetime) -> None:
        # Only armed while a motion is shown: every change that ends one cancels it.
        self._motion_unsub = None
        LOGGER.debug("%s: no webhook ended the motion; reading the status", self.name)
        self._status_over_motion = True
        self._async_refresh_in_background("motion")

    @callback
    def async_hint(self) -> None:
        """Read the status soon (and again a little later) after a hint.

        The reads are rate-limited (see :class:`HintReads`), so a flood of webhooks cannot
        flood the bridge.
        """
        self._last_hint = time.time()
        self.hints.hint(time.monotonic())
        self._async_schedule_hint_read()

    @callback
    def _async_schedule_hint_read(self) -> None:
        """Arm the timer for the next read hints want (or keep it when it is already right)."""
        due = self.hints.due(time.monotonic())
        if due == self._hint_due:
            return
        if self._hint_unsub is not None:
            self._hint_unsub()
            self._hint_unsub = None
        self._hint_due = due
        if due is not None:
            self._hint_unsub = async_call_later_detached(
                self.hass, max(0.0, due - time.monotonic()), self._async_hint_read
            )

    @callback
    def _async_hint_read(self, _now: datetime) -> None:
        self._hint_unsub = None
        self._hint_due = None
        self.hints.read_started(time.monotonic(), hint=True)
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
                self._unsub_delayed_reconcile = async_call_later_detached(
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
        self._async_check_push_health()
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
            # The bridge did not answer: find out at once whether it is gone (the coordinator
            # logs that once). If it answers its status, only the registration is the problem.
            await self.async_refresh()
            if self.last_update_success:
                self.registrar.async_report_problem()
        elif problem is None and not self.last_update_success:
            # The bridge answers again: show it now rather than at the next status read.
            await self.async_refresh()
