"""The bridge's webhook registration: ours exactly once, kept across restarts, gone with the entry.

The callback URL is Home Assistant's LAN URL plus the webhook path, or the override from the
options. Registrations whose URL carries our webhook id are ours (an old host or port of Home
Assistant leaves such stale copies); anything else belongs to someone else and is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import time
from typing import TYPE_CHECKING, Any

from homeassistant.components import webhook
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError, get_url

from aioloqed import (
    LoqedAuthenticationError,
    LoqedBridge,
    LoqedError,
    WebhookTrigger,
)

from .const import (
    APP_WEBHOOKS_HINT,
    CONF_BRIDGE_KEY,
    CONF_CALLBACK_URL,
    FOREIGN_WEBHOOKS_LIMIT,
    ISSUE_FOREIGN_WEBHOOKS,
    ISSUE_HTTPS_CALLBACK_URL,
    ISSUE_NO_CALLBACK_URL,
    LOGGER,
)
from .issues import async_clear_issue, async_raise_issue

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from homeassistant.config_entries import ConfigEntry

    from aioloqed import WebhookRegistration


def webhook_path(webhook_id: str) -> str:
    """Path of our Home Assistant webhook."""
    return webhook.async_generate_path(webhook_id)


def callback_url(
    hass: HomeAssistant, webhook_id: str, options: Mapping[str, Any]
) -> tuple[str | None, bool]:
    """Return the URL the bridge should call, and whether it comes from the options.

    ``None`` when Home Assistant has no LAN URL (and no override is set).
    """
    path = webhook_path(webhook_id)
    if override := options.get(CONF_CALLBACK_URL):
        return f"{str(override).rstrip('/')}{path}", True
    try:
        base = get_url(
            hass,
            allow_internal=True,
            allow_external=False,
            allow_cloud=False,
            allow_ip=True,
            prefer_external=False,
        )
    except NoURLAvailableError:
        return None, False
    return f"{base}{path}", False


def make_is_ours(webhook_id: str) -> Callable[[str], bool]:
    """Return the test for registrations of ours: the URL carries our (random) webhook id."""

    def is_ours(url: str) -> bool:
        return webhook_id in url

    return is_ours


@dataclass(slots=True)
class RegistrationState:
    """What the last reconcile found; read by diagnostics and the polling policy."""

    registered: bool = False
    """Our registration is on the bridge with every trigger."""
    bridge_key_ok: bool | None = None
    """The bridge accepted the bridge key at the last reconcile (``None``: not tried yet)."""
    problem: str | None = None
    """Why the last reconcile did not succeed: ``no_url``, ``cannot_connect``, ``bridge_key``."""
    foreign: int = 0
    """Registrations of other parties (left alone)."""
    removed: int = 0
    """Stale copies of ours deleted since setup."""
    created: int = 0
    """Registrations of ours created since setup."""
    expected_count: int | None = None
    """How many registrations the bridge should report in ``webhooks_number``."""
    last_run: float | None = None
    """Monotonic time of the last reconcile attempt."""
    https: bool = False
    """The callback URL is HTTPS."""
    registrations: list[RegistrationSummary] = field(default_factory=list)
    """What the last successful reconcile left on the bridge (ours and the others)."""


@dataclass(frozen=True, slots=True)
class RegistrationSummary:
    """One registration on the bridge, for diagnostics (the URL is never kept)."""

    id: int | None
    """The bridge's id; ``None`` for ours when it was just created (the bridge assigns it)."""
    ours: bool
    triggers: int
    https: bool = False

    @classmethod
    def of(cls, registration: WebhookRegistration, *, ours: bool) -> RegistrationSummary:
        """Summarise ``registration``."""
        return cls(
            id=registration.id,
            ours=ours,
            triggers=int(registration.triggers),
            https=registration.url.lower().startswith("https://"),
        )


class WebhookRegistrar:
    """Keep our registration on one bridge right."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, bridge: LoqedBridge) -> None:
        """Remember the bridge and the entry whose webhook id and options we use."""
        self._hass = hass
        self._entry = entry
        self._bridge = bridge
        self.state = RegistrationState()
        self._detail = ""
        self._reported = False

    @property
    def webhook_id(self) -> str:
        """Our Home Assistant webhook id (secret: never log it)."""
        return str(self._entry.data[CONF_WEBHOOK_ID])

    async def async_reconcile(self) -> None:
        """List the bridge's registrations, fix ours, leave the others.

        Raises :class:`LoqedAuthenticationError` when the bridge refuses the bridge key; any
        other failure is recorded in :attr:`state` (``problem``) and logged once.
        """
        state = self.state
        state.last_run = time.monotonic()
        url, overridden = callback_url(self._hass, self.webhook_id, self._entry.options)
        self._async_url_issues(url, overridden)
        if url is None:
            self._fail("no_url")
            return
        try:
            plan = await self._bridge.reconcile_webhook(
                url, WebhookTrigger.ALL, make_is_ours(self.webhook_id)
            )
        except LoqedAuthenticationError:
            state.bridge_key_ok = False
            self._fail("bridge_key")
            raise
        except LoqedError as err:
            self._fail("cannot_connect", err)
            return
        except ValueError as err:
            # The bridge client refuses a URL it cannot register (not http or https).
            self._fail("bad_url", err)
            return
        if self._reported:
            LOGGER.info("Webhook registration on the LOQED bridge %s works again", self._where)
            self._reported = False
        state.bridge_key_ok = True
        state.problem = None
        state.registered = True
        state.foreign = len(plan.foreign)
        state.removed += len(plan.delete)
        state.created += int(plan.create)
        state.expected_count = len(plan.foreign) + 1
        ours = (
            [RegistrationSummary.of(plan.keep, ours=True)]
            if plan.keep is not None
            else [
                RegistrationSummary(
                    id=None, ours=True, triggers=int(WebhookTrigger.ALL), https=state.https
                )
            ]
        )
        foreign = [RegistrationSummary.of(r, ours=False) for r in plan.foreign]
        state.registrations = [*sorted(foreign, key=lambda summary: summary.id or 0), *ours]
        self._async_foreign_issue(len(plan.foreign))
        if plan.delete:
            LOGGER.debug(
                "Removed %d stale webhook registration(s) of ours from %s",
                len(plan.delete),
                self._where,
            )
        if plan.foreign:
            LOGGER.debug(
                "The bridge %s has %d webhook registration(s) of other parties",
                self._where,
                len(plan.foreign),
            )

    @property
    def _where(self) -> str:
        return f"{self._bridge.host}:{self._bridge.port}"

    def _fail(self, problem: str, err: Exception | None = None) -> None:
        """Record why the reconcile failed; log it once (see :meth:`async_report_problem`).

        A bridge that cannot be reached is not logged here: the coordinator reads the status
        at once, and if that fails too the entities go unavailable with one log line of their
        own. Only when the status works does the coordinator report this problem.
        """
        state = self.state
        state.registered = False
        if state.problem != problem:
            self._reported = False
            self._detail = f": {err}" if err is not None else ""
        state.problem = problem
        if problem != "cannot_connect":
            self.async_report_problem()

    @callback
    def async_report_problem(self) -> None:
        """Log the current registration problem, once until the registration works again."""
        problem = self.state.problem
        if problem is None or self._reported:
            return
        self._reported = True
        LOGGER.warning(
            "Cannot register the webhook on the LOQED bridge %s (%s%s); reading its status "
            "more often instead until it works",
            self._where,
            problem.replace("_", " "),
            self._detail,
        )

    @callback
    def _async_foreign_issue(self, foreign: int) -> None:
        """Many registrations of other parties delay every event: the bridge calls them in turn."""
        if foreign > FOREIGN_WEBHOOKS_LIMIT:
            async_raise_issue(
                self._hass,
                self._entry,
                ISSUE_FOREIGN_WEBHOOKS,
                placeholders={"count": str(foreign)},
            )
        else:
            async_clear_issue(self._hass, self._entry.entry_id, ISSUE_FOREIGN_WEBHOOKS)

    @callback
    def _async_url_issues(self, url: str | None, overridden: bool) -> None:  # noqa: FBT001
        entry = self._entry
        if url is None:
            async_raise_issue(
                self._hass, entry, ISSUE_NO_CALLBACK_URL, severity=ir.IssueSeverity.ERROR
            )
        else:
            async_clear_issue(self._hass, entry.entry_id, ISSUE_NO_CALLBACK_URL)
        self.state.https = url is not None and url.startswith("https://")
        if self.state.https and not overridden:
            async_raise_issue(self._hass, entry, ISSUE_HTTPS_CALLBACK_URL)
        else:
            async_clear_issue(self._hass, entry.entry_id, ISSUE_HTTPS_CALLBACK_URL)


async def async_remove_registration(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Delete our registrations from the bridge of a removed entry; never raise.

    While the bridge is offline this logs one line that says what is left and where to remove it.
    """
    data = entry.data
    bridge = LoqedBridge(
        host=data[CONF_HOST],
        port=data[CONF_PORT],
        bridge_key=data[CONF_BRIDGE_KEY],
        session=async_get_clientsession(hass),
        status_retries=1,
    )
    is_ours = make_is_ours(str(data[CONF_WEBHOOK_ID]))
    try:
        for registration in await bridge.webhooks():
            if is_ours(registration.url):
                await bridge.delete_webhook(registration.id)
    except LoqedError as err:
        LOGGER.warning(
            "Could not remove the webhook registration of '%s' from the LOQED bridge %s:%s "
            "(%s). It points at this Home Assistant and does no harm, but you can delete it on %s",
            entry.title,
            data[CONF_HOST],
            data[CONF_PORT],
            type(err).__name__,
            APP_WEBHOOKS_HINT,
        )
