"""Lock settings through the LOQED cloud (optional): Open House Mode, Twist Assist and more.

The three settings are Open House Mode, Twist Assist and Touch to Connect.

No local endpoint changes them (protocol 2.6), so this needs the personal access token that the
user chose to keep when adding the lock through the cloud. LOQED blocks accounts that call the
cloud too often (about 12 requests in 12 hours), so:

* the settings are read once at setup, and only while this entry made fewer than
  :data:`READ_LIMIT` cloud requests in the last 12 hours (restarts do not add up);
* a change is sent once and its value assumed from then on (no read afterwards);
* no request at all once :data:`REQUEST_LIMIT` were made in 12 hours.

The values and the request times are kept in Home Assistant's storage between restarts.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store

from aioloqed import (
    LockSetting,
    LoqedAuthenticationError,
    LoqedCloud,
    LoqedConnectionError,
    LoqedError,
)

from .const import DOMAIN, LOGGER

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.config_entries import ConfigEntry

    from aioloqed import CloudLock

STORE_VERSION: Final = 1
REQUEST_WINDOW: Final = 12 * 3600.0
"""Seconds over which cloud requests are counted."""
READ_LIMIT: Final = 4
"""Setup reads the settings only while fewer requests than this were made in the window."""
REQUEST_LIMIT: Final = 10
"""No request at all once this many were made in the window (the cloud blocks at about 12)."""


def store_key(entry_id: str) -> str:
    """Storage key of an entry's lock settings."""
    return f"{DOMAIN}.{entry_id}.settings"


def _read(lock: CloudLock, setting: LockSetting) -> bool | None:
    values = {
        LockSetting.OPEN_HOUSE_MODE: lock.open_house_mode,
        LockSetting.TWIST_ASSIST: lock.twist_assist,
        LockSetting.TOUCH_TO_CONNECT: lock.touch_to_connect,
    }
    return values[setting]


def _set_error(err: LoqedError) -> HomeAssistantError:
    """Translate the error of a setting change the cloud did not take."""
    if isinstance(err, LoqedAuthenticationError):
        key = "cloud_token_refused"
    elif isinstance(err, LoqedConnectionError):
        key = "cloud_unreachable"
    else:
        key = "cloud_refused"
    return HomeAssistantError(translation_domain=DOMAIN, translation_key=key)


class LockSettings:
    """The three cloud settings of one lock, read rarely and assumed in between."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, token: str, lock_id: str) -> None:
        """Bind to the entry's token and cloud lock id (never logged)."""
        self._hass = hass
        self._title = entry.title
        self._token = token
        self._lock_id = lock_id
        self._store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, store_key(entry.entry_id), private=True
        )
        self.values: dict[LockSetting, bool | None] = dict.fromkeys(LockSetting)
        self.read_at: float | None = None
        """Unix time of the last successful read."""
        self.requests: list[float] = []
        """Unix times of this entry's cloud requests in the last 12 hours."""
        self.problem: str | None = None
        """Why the last request failed (for diagnostics)."""
        self._listeners: list[Callable[[], None]] = []

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` when a value changes; returns the function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    def _recent(self) -> list[float]:
        now = time.time()
        self.requests = [t for t in self.requests if now - REQUEST_WINDOW < t <= now]
        return self.requests

    async def async_load(self) -> None:
        """Take the values and request times kept from earlier runs."""
        stored = await self._store.async_load() or {}
        values = stored.get("values") or {}
        for setting in LockSetting:
            value = values.get(setting.value)
            self.values[setting] = value if isinstance(value, bool) else None
        read_at = stored.get("read_at")
        self.read_at = float(read_at) if isinstance(read_at, int | float) else None
        requests = stored.get("requests") or []
        self.requests = [float(t) for t in requests if isinstance(t, int | float)]

    async def _async_save(self) -> None:
        await self._store.async_save(
            {
                "values": {s.value: v for s, v in self.values.items()},
                "read_at": self.read_at,
                "requests": self.requests,
            }
        )

    @property
    def may_read(self) -> bool:
        """Whether a read now stays well inside the cloud's limit."""
        return len(self._recent()) < READ_LIMIT

    def _cloud(self) -> LoqedCloud:
        return LoqedCloud(token=self._token, session=async_get_clientsession(self._hass))

    async def async_refresh(self) -> None:
        """Read the settings with one cloud call; on failure keep the last known values."""
        self._recent().append(time.time())
        try:
            locks = await self._cloud().locks()
        except LoqedAuthenticationError:
            self._failed("token_refused")
        except LoqedConnectionError:
            self._failed("cannot_connect")
        except LoqedError:
            self._failed("bad_answer")
        else:
            lock = next((lock for lock in locks if lock.id == self._lock_id), None)
            if lock is None:
                self._failed("lock_not_in_account")
            else:
                self.problem = None
                self.read_at = time.time()
                for setting in LockSetting:
                    self.values[setting] = _read(lock, setting)
        await self._async_save()
        self._notify()

    def _failed(self, problem: str) -> None:
        # Reads happen at setup only, a few times a day at most: each failure is worth a line.
        LOGGER.warning(
            "Could not read the lock settings of '%s' from the LOQED cloud (%s); the switches "
            "keep their last known state",
            self._title,
            problem.replace("_", " "),
        )
        self.problem = problem

    async def async_set(self, setting: LockSetting, value: bool) -> None:  # noqa: FBT001
        """Change one setting with one cloud call; raise a translated error if that fails."""
        recent = self._recent()
        if len(recent) >= REQUEST_LIMIT:
            wait = recent[0] + REQUEST_WINDOW - time.time()
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="cloud_request_limit",
                translation_placeholders={"hours": f"{max(wait / 3600, 0.1):.1f}"},
            )
        recent.append(time.time())
        try:
            await self._cloud().set_setting(self._lock_id, setting, value)
        except LoqedError as err:
            await self._async_save()
            raise _set_error(err) from err
        self.values[setting] = value
        await self._async_save()
        self._notify()
