"""Client for LOQED's cloud Integrations API, authenticated with a personal access token.

The cloud is only needed to fetch the local credentials once (and, optionally, to change the
lock settings the bridge cannot change). LOQED blocks an account that lists its locks more than
about 12 times in 12 hours, so :meth:`LoqedCloud.locks` is meant to be called once at setup and
never polled.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import logging
from typing import TYPE_CHECKING, Any, Final, Self
from urllib.parse import quote

import aiohttp
import orjson
from yarl import URL

from aioloqed._session import SessionOwner
from aioloqed.bridge import USER_AGENT, transport_reason
from aioloqed.const import LockSetting
from aioloqed.credentials import CredentialsProblem, LoqedCredentials
from aioloqed.exceptions import (
    LoqedAuthenticationError,
    LoqedConnectionError,
    LoqedCredentialsError,
    LoqedResponseError,
    LoqedTimeoutError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

_LOGGER = logging.getLogger("aioloqed")

DEFAULT_CLOUD_URL: Final = "https://integrations.production.loqed.com"
DEFAULT_CLOUD_TIMEOUT: Final = 15.0
_UNAUTHORIZED: Final = frozenset({401, 403})
_TOO_MANY_REQUESTS: Final = 429
_HTML_PREFIXES: Final = (b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")


def _flag(value: Any) -> bool | None:
    """Read a cloud boolean sent as bool, 0/1 or a string; None when absent or unreadable."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
    return None


def _looks_like_html(content_type: str, body: bytes) -> bool:
    if "html" in content_type.lower():
        return True
    return body.lstrip()[:16].lower().startswith(_HTML_PREFIXES)


@dataclass
class CloudLock:
    """One lock from the cloud lock list.

    ``raw`` holds the entry as received, including the local keys: it is left out of ``repr``.
    """

    id: str
    name: str
    raw: Mapping[str, Any] = field(repr=False)
    supported_lock_states: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build a lock from one entry of ``GET /api/locks/``."""
        states = data.get("supported_lock_states")
        supported = (
            tuple(str(state).lower() for state in states) if isinstance(states, list) else ()
        )
        name = data.get("name")
        return cls(
            id=str(data.get("id", "")),
            name=name if isinstance(name, str) else "",
            raw=data,
            supported_lock_states=supported,
        )

    def credentials(self) -> LoqedCredentials:
        """Local credentials of this lock (raises :class:`LoqedCredentialsError` if incomplete)."""
        return LoqedCredentials.from_cloud_lock(self.raw)

    @property
    def supports_open(self) -> bool:
        """Whether "open" does more than unlock (doors with a fixed knob outside)."""
        return "open" in self.supported_lock_states or not self.supported_lock_states

    @property
    def open_house_mode(self) -> bool | None:
        """Open house mode (the cloud calls it ``guest_access_mode``)."""
        if "open_house_mode" in self.raw:
            return _flag(self.raw["open_house_mode"])
        return _flag(self.raw.get("guest_access_mode"))

    @property
    def twist_assist(self) -> bool | None:
        """Twist assist."""
        return _flag(self.raw.get("twist_assist"))

    @property
    def touch_to_connect(self) -> bool | None:
        """Touch to Open works without the 500 m geofence."""
        return _flag(self.raw.get("touch_to_connect"))


@dataclass
class LoqedCloud(SessionOwner):
    """Client for the cloud Integrations API with a personal access token.

    The token is never shown in ``repr``, logs or error messages. ``session`` may be the caller's
    :class:`aiohttp.ClientSession`, which is then never closed here.
    """

    token: str = field(repr=False)
    session: aiohttp.ClientSession | None = field(default=None, repr=False)
    request_timeout: float = DEFAULT_CLOUD_TIMEOUT
    base_url: str = DEFAULT_CLOUD_URL
    _close_session: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        """Normalise the token (a paste may carry line breaks or a ``Bearer`` prefix)."""
        token = "".join(str(self.token or "").split())
        if token.lower().startswith("bearer"):
            token = token[len("bearer") :]
        if not token:
            raise LoqedCredentialsError("token", CredentialsProblem.MISSING)
        self.token = token
        self.base_url = self.base_url.rstrip("/")

    async def _request(self, method: str, path: str, *, body: bytes | None = None) -> bytes:
        """Send one request and return a 2xx body; an HTML answer means a refused token."""
        session = self._get_session()
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        _LOGGER.debug("%s %s to the LOQED cloud", method, path)
        try:
            async with asyncio.timeout(self.request_timeout):
                async with session.request(
                    method,
                    URL(f"{self.base_url}{path}", encoded=True),
                    headers=headers,
                    data=body,
                    allow_redirects=False,
                ) as response:
                    content = await response.read()
                    status = response.status
                    content_type = response.headers.get("Content-Type", "")
        except TimeoutError as err:
            raise LoqedTimeoutError(
                f"The LOQED cloud did not answer within {self.request_timeout:g} s"
            ) from err
        except (aiohttp.ClientError, OSError) as err:
            raise LoqedConnectionError(
                f"Cannot reach the LOQED cloud ({transport_reason(err)})"
            ) from err
        _LOGGER.debug("%s %s answered %s", method, path, status)
        if status in _UNAUTHORIZED or 300 <= status < 400:  # noqa: PLR2004
            # Unauthenticated requests are redirected to the portal's login page.
            raise LoqedAuthenticationError(
                "token", f"The LOQED cloud refused the access token (HTTP {status})"
            )
        if status == _TOO_MANY_REQUESTS:
            raise LoqedResponseError(
                "The LOQED cloud rate limit was hit (HTTP 429); wait before trying again",
                status=status,
            )
        if not 200 <= status < 300:  # noqa: PLR2004
            raise LoqedResponseError(
                f"The LOQED cloud answered HTTP {status} to {method} {path}", status=status
            )
        if _looks_like_html(content_type, content):
            raise LoqedAuthenticationError(
                "token", "The LOQED cloud answered with a web page instead of data: token refused"
            )
        return content

    async def locks(self) -> list[CloudLock]:
        """List the account's locks with their local credentials (``GET /api/locks/``).

        Call this once (at setup), never on a schedule: LOQED blocks accounts that call it more
        than about 12 times in 12 hours.
        """
        body = await self._request("GET", "/api/locks/")
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as err:
            raise LoqedResponseError("Cloud lock list is not JSON") from err
        entries = data.get("data") if isinstance(data, dict) else data
        if not isinstance(entries, list):
            raise LoqedResponseError("Cloud lock list has no 'data' array")
        return [CloudLock.from_dict(entry) for entry in entries if isinstance(entry, dict)]

    async def set_setting(self, lock_id: str, setting: LockSetting, value: bool) -> None:  # noqa: FBT001
        """Turn a lock setting on or off (``POST /api/locks/{id}/setting``, protocol 2.6)."""
        if not lock_id:
            raise LoqedCredentialsError("lock_id", CredentialsProblem.MISSING)
        setting = LockSetting(setting)
        payload = {"setting_name": setting.value, "setting_value": 1 if value else 0}
        await self._request(
            "POST",
            f"/api/locks/{quote(str(lock_id), safe='')}/setting",
            body=orjson.dumps(payload),
        )
