"""Async client for the bridge's local HTTP API.

One :class:`LoqedBridge` talks to one bridge: it reads ``/status``, sends signed commands through
``GET /to_lock`` and manages the bridge's webhook registrations. All traffic goes through one
private request method that owns the timeout and turns transport failures into the library's
exceptions. Commands are sent once and never retried: a command that may have reached the bridge
must not be repeated behind the user's back.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
import ipaddress
import logging
import math
import os
import time
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Final, Self

import aiohttp
import orjson
from yarl import URL

from aioloqed._session import SessionOwner
from aioloqed.const import (
    DEFAULT_PORT,
    DEFAULT_REQUEST_TIMEOUT,
    MAX_KEY_ID,
    LockAction,
    WebhookTrigger,
)
from aioloqed.credentials import CredentialsProblem
from aioloqed.exceptions import (
    LoqedAuthenticationError,
    LoqedConnectionError,
    LoqedCredentialsError,
    LoqedResponseError,
    LoqedTimeoutError,
)
from aioloqed.models import BridgeStatus, WebhookRegistration
from aioloqed.reconcile import plan_webhook_reconcile
from aioloqed.signing import (
    CommandSigner,
    create_webhook_hash,
    delete_webhook_hash,
    encode_command,
    list_webhooks_hash,
    management_headers,
    relay_message,
)
from aioloqed.state import SentCommand
from aioloqed.webhook import WebhookVerifier

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from aioloqed.credentials import LoqedCredentials
    from aioloqed.exceptions import CredentialName
    from aioloqed.reconcile import ReconcilePlan

_LOGGER = logging.getLogger("aioloqed")

_STATUS_RETRY_BACKOFF: Final = 0.5
"""Seconds before the second status attempt; doubled for each further attempt."""
_UNAUTHORIZED: Final = frozenset({401, 403})
_MAX_WEBHOOK_ID: Final = 2**64 - 1
_ALL_TRIGGERS: Final = int(WebhookTrigger.ALL)


def _library_version() -> str:
    try:
        return version("aioloqed")
    except PackageNotFoundError:  # pragma: no cover - only when run from an uninstalled tree
        return "0+unknown"


USER_AGENT: Final = f"aioloqed/{_library_version()}"
"""``User-Agent`` header sent with every request."""
_BASE_HEADERS: Final[Mapping[str, str]] = MappingProxyType({"User-Agent": USER_AGENT})
"""The headers of every request (aiohttp copies them; never changed in place)."""


def transport_reason(err: BaseException) -> str:
    """Say in a few words why a request failed (``Connection refused``), without any URL."""
    os_error = getattr(err, "os_error", err)
    if isinstance(os_error, OSError):
        if os_error.errno and os_error.errno > 0:
            return os.strerror(os_error.errno)
        if os_error.strerror:
            return os_error.strerror
    return type(err).__name__


def _decode_key(value: str | None, field_name: str) -> bytes:
    """Decode a Base64 key held by the client; raise naming the field, never the value."""
    if value is None or not value.strip():
        raise LoqedCredentialsError(field_name, CredentialsProblem.MISSING)
    text = "".join(value.split())
    text += "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise LoqedCredentialsError(field_name, CredentialsProblem.NOT_BASE64) from None
    return raw


def _host_for_url(host: str) -> str:
    """Return ``host`` as it appears in a URL (IPv6 literals in brackets)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host
    return f"[{address}]" if address.version == 6 else str(address)  # noqa: PLR2004


@dataclass
class LoqedBridge(SessionOwner):
    """Client for one LOQED bridge on the local network.

    ``session`` may be an :class:`aiohttp.ClientSession` owned by the caller; it is never closed
    by the bridge. Without one, the bridge creates its own on first use and closes it in
    :meth:`close` (or when leaving ``async with``).

    ``bridge_key`` is needed for webhook management, ``lock_key`` and ``local_key_id`` for
    commands; ``status`` needs neither. ``clock`` supplies the Unix time used in signatures.
    """

    # One TCP connection per request in a session of our own: the bridges are small devices and
    # a signed command should never ride on a half-dead keep-alive connection.
    _force_close: ClassVar[bool] = True

    host: str
    port: int = DEFAULT_PORT
    bridge_key: str | None = field(default=None, repr=False)
    lock_key: str | None = field(default=None, repr=False)
    local_key_id: int | None = None
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    session: aiohttp.ClientSession | None = field(default=None, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)
    status_retries: int = 3
    """Attempts for a status read (at least one); waits 0.5 s, then 1 s, ... between them."""
    _close_session: bool = field(default=False, init=False, repr=False)
    _command_signer: tuple[str | None, CommandSigner] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _base_url: tuple[str, int, str] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _client_timeout: aiohttp.ClientTimeout | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @classmethod
    def from_credentials(cls, credentials: LoqedCredentials, **kwargs: Any) -> Self:
        """Build a client from validated credentials; ``kwargs`` set or override other fields."""
        fields: dict[str, Any] = {
            "host": credentials.host,
            "port": credentials.port,
            "bridge_key": credentials.bridge_key,
            "lock_key": credentials.lock_key,
            "local_key_id": credentials.local_key_id,
        }
        fields.update(kwargs)
        return cls(**fields)

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the bridge (the port is left out when it is 80).

        Worked out again only when ``host`` or ``port`` was set anew (it parses the address).
        """
        cached = self._base_url
        if cached is None or cached[0] is not self.host or cached[1] != self.port:
            host = _host_for_url(self.host)
            url = f"http://{host}" if self.port == DEFAULT_PORT else f"http://{host}:{self.port}"
            cached = self._base_url = (self.host, self.port, url)
        return cached[2]

    def webhook_verifier(self, **kwargs: Any) -> WebhookVerifier:
        """Return a :class:`~aioloqed.webhook.WebhookVerifier` for this bridge's webhooks.

        ``kwargs`` are passed on (``window``, ``max_body_size``, ``replay_cache_size``). Raises
        :class:`LoqedCredentialsError` when the bridge key is missing or not Base64.
        """
        return WebhookVerifier(_decode_key(self.bridge_key, "bridge_key"), **kwargs)

    # ------------------------------------------------------------------ transport

    async def _request(
        self,
        method: str,
        path: str,
        *,
        query: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        credential: CredentialName | None = None,
    ) -> bytes:
        """Send one request and return the body of a 2xx answer.

        ``query`` is already percent-encoded and sent byte for byte. ``credential`` names the key
        a 401/403 answer refers to; without it such an answer is a response error. Only the
        method and the path are logged, never the query, the headers or the body.
        """
        url_text = f"{self.base_url}{path}"
        if query is not None:
            url_text = f"{url_text}?{query}"
        url = URL(url_text, encoded=True)
        if body is not None:
            headers = {**(headers or {}), "Content-Type": "application/json"}
        request_headers = {**_BASE_HEADERS, **headers} if headers else _BASE_HEADERS
        _LOGGER.debug("%s %s to bridge %s", method, path, self.host)
        session = self._get_session()
        try:
            async with session.request(
                method,
                url,
                headers=request_headers,
                data=body,
                allow_redirects=False,
                timeout=self._timeout(),
            ) as response:
                content = await response.read()
                status = response.status
        except TimeoutError as err:
            raise LoqedTimeoutError(
                f"Bridge {self.host}:{self.port} did not answer {method} {path} "
                f"within {self.request_timeout:g} s"
            ) from err
        except (aiohttp.ClientError, OSError) as err:
            raise LoqedConnectionError(
                f"Cannot reach bridge {self.host}:{self.port} ({transport_reason(err)})"
            ) from err
        _LOGGER.debug("%s %s answered %s", method, path, status)
        if credential is not None and status in _UNAUTHORIZED:
            raise LoqedAuthenticationError(
                credential,
                f"Bridge {self.host}:{self.port} refused the {credential.replace('_', ' ')} "
                f"(HTTP {status} to {method} {path})",
            )
        if not 200 <= status < 300:  # noqa: PLR2004
            raise LoqedResponseError(
                f"Bridge {self.host}:{self.port} answered HTTP {status} to {method} {path}",
                status=status,
            )
        return content

    def _timeout(self) -> aiohttp.ClientTimeout:
        """Return the limit for a whole request (connect, send, read the answer).

        ``request_timeout``, kept by aiohttp's own timer (it runs one per request anyway) rather
        than one more of ours, never rounded up to a whole second; made again only when
        ``request_timeout`` was set anew.
        """
        cached = self._client_timeout
        if cached is None or cached.total != self.request_timeout:
            cached = self._client_timeout = aiohttp.ClientTimeout(
                total=self.request_timeout, ceil_threshold=math.inf
            )
        return cached

    def _signer(self) -> CommandSigner:
        """Return the signer of the lock key; made again only when ``lock_key`` was set anew."""
        cached = self._command_signer
        if cached is None or cached[0] is not self.lock_key:
            cached = self._command_signer = (
                self.lock_key,
                CommandSigner(_decode_key(self.lock_key, "lock_key")),
            )
        return cached[1]

    def _management_headers(self, hash_for: Callable[[bytes, int], str]) -> dict[str, str]:
        bridge_key = _decode_key(self.bridge_key, "bridge_key")
        timestamp = int(self.clock())
        return management_headers(hash_hex=hash_for(bridge_key, timestamp), timestamp=timestamp)

    # ------------------------------------------------------------------ status

    async def status(self) -> BridgeStatus:
        """Read ``GET /status``.

        Retries on connection errors and timeouts, at most ``status_retries`` attempts with a
        growing pause between them. Any content type is accepted; the body must be a JSON object.
        """
        attempts = max(1, self.status_retries)
        for attempt in range(1, attempts + 1):
            try:
                body = await self._request("GET", "/status")
            except LoqedConnectionError:
                if attempt == attempts:
                    raise
                delay = _STATUS_RETRY_BACKOFF * 2 ** (attempt - 1)
                _LOGGER.debug(
                    "Status read %d/%d failed, retrying in %g s", attempt, attempts, delay
                )
                await asyncio.sleep(delay)
                continue
            return BridgeStatus.from_json(body)
        raise AssertionError  # pragma: no cover - the loop returns or raises

    # ------------------------------------------------------------------ commands

    async def send_command(self, action: LockAction) -> SentCommand:
        """Send one signed command through ``GET /to_lock``, once.

        A 2xx answer means only that the bridge relayed the command; the lock confirms with a
        webhook carrying this key id (see :func:`aioloqed.state.confirms_command`). The command is
        never retried and never followed through a redirect.
        """
        if type(action) is not LockAction:
            action = LockAction(action)
        signer = self._signer()
        key_id = self.local_key_id
        if key_id is None:
            raise LoqedCredentialsError("local_key_id", CredentialsProblem.MISSING)
        if isinstance(key_id, bool) or not 0 <= key_id <= MAX_KEY_ID:
            raise LoqedCredentialsError(
                "local_key_id", CredentialsProblem.OUT_OF_RANGE, "expected 0-250"
            )
        timestamp = int(self.clock())
        message = signer.sign(local_key_id=key_id, action=action, timestamp=timestamp)
        await self._request(
            "GET",
            "/to_lock",
            query=f"command_signed_base64={encode_command(message)}",
            credential="lock_key",
        )
        return SentCommand(action=action, local_key_id=key_id, timestamp=timestamp)

    async def lock(self) -> SentCommand:
        """Go to night lock."""
        return await self.send_command(LockAction.LOCK)

    async def unlock(self) -> SentCommand:
        """Go to day lock (latch only)."""
        return await self.send_command(LockAction.UNLOCK)

    async def open(self) -> SentCommand:
        """Pull the latch; the lock returns to day lock by itself."""
        return await self.send_command(LockAction.OPEN)

    async def send_relay(self, action_byte: int = 1) -> None:
        """Send the unsigned command type 89 message (experimental).

        Protocol 2.4: no public source shows what this does on a real bridge; it may switch the
        bridge's relay (shared entrance, garage door). Sent once, never retried.
        """
        message = relay_message(action_byte)
        await self._request(
            "GET", "/to_lock", query=f"command_signed_base64={encode_command(message)}"
        )

    # ------------------------------------------------------------------ webhooks

    async def webhooks(self) -> list[WebhookRegistration]:
        """List the webhook registrations of the bridge (``GET /webhooks``)."""
        headers = self._management_headers(
            lambda key, ts: list_webhooks_hash(bridge_key=key, timestamp=ts)
        )
        body = await self._request("GET", "/webhooks", headers=headers, credential="bridge_key")
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as err:
            raise LoqedResponseError("Webhook list is not JSON") from err
        if not isinstance(data, list):
            raise LoqedResponseError("Webhook list is not a JSON array")
        registrations: list[WebhookRegistration] = []
        for entry in data:
            if not isinstance(entry, dict):
                raise LoqedResponseError("Webhook list entry is not a JSON object")
            registrations.append(WebhookRegistration.from_dict(entry))
        return registrations

    async def add_webhook(self, url: str, triggers: WebhookTrigger = WebhookTrigger.ALL) -> None:
        """Register ``url`` for the events in ``triggers`` (``POST /webhooks``)."""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError("Webhook URL must start with http:// or https://")
        flags = int(triggers)
        if not 0 < flags <= _ALL_TRIGGERS:
            raise ValueError("Webhook triggers must select at least one of the nine events")
        headers = self._management_headers(
            lambda key, ts: create_webhook_hash(
                bridge_key=key, url=url, triggers=flags, timestamp=ts
            )
        )
        payload = {"url": url, **WebhookTrigger(flags).to_fields()}
        await self._request(
            "POST",
            "/webhooks",
            headers=headers,
            body=orjson.dumps(payload),
            credential="bridge_key",
        )

    async def delete_webhook(self, webhook_id: int) -> None:
        """Delete the registration ``webhook_id`` (``DELETE /webhooks/<id>``)."""
        if isinstance(webhook_id, bool) or not isinstance(webhook_id, int):
            raise TypeError("Webhook id must be an integer")
        if not 0 <= webhook_id <= _MAX_WEBHOOK_ID:
            raise ValueError("Webhook id must be a non-negative 64-bit integer")
        headers = self._management_headers(
            lambda key, ts: delete_webhook_hash(bridge_key=key, webhook_id=webhook_id, timestamp=ts)
        )
        await self._request(
            "DELETE", f"/webhooks/{webhook_id}", headers=headers, credential="bridge_key"
        )

    async def reconcile_webhook(
        self,
        url: str,
        triggers: WebhookTrigger = WebhookTrigger.ALL,
        is_ours: Callable[[str], bool] | None = None,
    ) -> ReconcilePlan:
        """Make sure ``url`` is registered exactly once with ``triggers``.

        Lists the registrations, deletes our duplicates and stale copies (``is_ours`` says which
        URLs are ours), creates the registration if it is missing, and returns the plan it
        carried out. Registrations of other parties are left alone.
        """
        registrations = await self.webhooks()
        plan = plan_webhook_reconcile(registrations, url, triggers, is_ours)
        for registration in plan.delete:
            await self.delete_webhook(registration.id)
        if plan.create:
            await self.add_webhook(url, triggers)
        return plan

    # ------------------------------------------------------------------ lifetime
