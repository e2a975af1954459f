"""The bridge's local HTTP API (protocol 1): status, commands, webhook management.

Answers the real bridge is known to give are reproduced; where its answer is unknown (bad hash,
stale timestamp, unknown webhook id, malformed request) the emulator's own choice is documented
in docs/emulator.md.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable
import json
import logging
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from loqed_emulator.protocol import (
    MAX_KEY_ID,
    Action,
    MalformedCommandError,
    create_webhook_hash,
    decode_command_parameter,
    delete_webhook_hash,
    encode_json,
    flags_from_fields,
    hashes_equal,
    list_webhooks_hash,
)

if TYPE_CHECKING:
    from loqed_emulator.bridge import EmulatedBridge

_LOGGER = logging.getLogger(__name__)

BRIDGE_KEY: Final[web.AppKey[EmulatedBridge]] = web.AppKey("bridge")
COMMAND_ACCEPTED: Final = "Message resent to the lock"
MAX_BODY_BYTES: Final = 16 * 1024
MAX_URL_LENGTH: Final = 2048
_U64_MAX: Final = (1 << 64) - 1
_STATE_COMMANDS: Final = {
    "OPEN": Action.OPEN,
    "DAY_LOCK": Action.DAY_LOCK,
    "NIGHT_LOCK": Action.NIGHT_LOCK,
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _bridge(request: web.Request) -> EmulatedBridge:
    return request.app[BRIDGE_KEY]


def _text(request: web.Request, text: str, status: int = 200) -> web.Response:
    """Answer plain text with the bridge's content type (``text/html`` on the legacy bridge)."""
    content_type = _bridge(request).faults.response_content_type
    return web.Response(body=text.encode("utf-8"), status=status, content_type=content_type)


def _json(request: web.Request, value: Any, status: int = 200) -> web.Response:
    """Answer JSON with the bridge's content type; truncated when ``malformed_json`` is on."""
    bridge = _bridge(request)
    body = encode_json(value)
    if bridge.faults.malformed_json:
        body = body[: max(1, len(body) // 2)]
    content_type = bridge.faults.response_content_type
    return web.Response(body=body, status=status, content_type=content_type)


@web.middleware
async def _faults_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    bridge = _bridge(request)
    _LOGGER.debug("%s %s", request.method, request.path)  # never the query: it holds commands
    if bridge.faults.latency_ms > 0:
        await asyncio.sleep(bridge.faults.latency_ms / 1000)
    if bridge.faults.http_500:
        return _text(request, "Internal Server Error", 500)
    return await handler(request)


async def _status(request: web.Request) -> web.StreamResponse:
    return _json(request, _bridge(request).status())


async def _to_lock(request: web.Request) -> web.StreamResponse:
    values = request.query.getall("command_signed_base64", [])
    if len(values) != 1:
        return _text(request, "Bad request: one command_signed_base64 expected", 400)
    try:
        message = decode_command_parameter(values[0])
    except MalformedCommandError:
        return _text(request, "Bad request: command_signed_base64 is not Base64", 400)
    _bridge(request).receive_command(message)
    return _text(request, COMMAND_ACCEPTED)


def _decode_secret(value: str) -> bytes | None:
    try:
        return base64.b64decode(value.strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None


async def _state(request: web.Request) -> web.StreamResponse:
    query = request.query
    missing = [name for name in ("command", "local_key_id", "secret") if name not in query]
    if missing:
        return _text(request, f"Bad request: missing {', '.join(missing)}", 400)
    action = _STATE_COMMANDS.get(query["command"].strip().upper())
    if action is None:
        return _text(request, "Bad request: command must be OPEN, DAY_LOCK or NIGHT_LOCK", 400)
    try:
        key_id = int(query["local_key_id"])
    except ValueError:
        key_id = -1
    if not 0 <= key_id <= MAX_KEY_ID:
        return _text(request, f"Bad request: local_key_id must be 0..{MAX_KEY_ID}", 400)
    _bridge(request).receive_state_command(action, key_id, _decode_secret(query["secret"]))
    return _text(request, COMMAND_ACCEPTED)


def _check_signature(request: web.Request, hash_of: Callable[[int], str]) -> str | None:
    """Return why the TIMESTAMP/HASH pair is refused, or None when it is good.

    ``hash_of(timestamp)`` is the HASH expected for that timestamp (protocol 1.5).
    """
    bridge = _bridge(request)
    timestamp_text = request.headers.get("TIMESTAMP")
    received = request.headers.get("HASH")
    if timestamp_text is None or received is None:
        return "missing TIMESTAMP or HASH header"
    try:
        timestamp = int(timestamp_text.strip())
    except ValueError:
        return "TIMESTAMP is not an integer"
    if not 0 <= timestamp <= _U64_MAX:
        return "TIMESTAMP out of range"
    if not hashes_equal(received, hash_of(timestamp)):
        return "bad hash"
    if abs(bridge.config.clock() - timestamp) > bridge.config.management_window:
        return "stale timestamp"
    return None


def _unauthorized(request: web.Request, reason: str) -> web.Response:
    _LOGGER.info("%s %s refused: %s", request.method, request.path, reason)
    return _text(request, f"Unauthorized: {reason}", 401)


async def _list_webhooks(request: web.Request) -> web.StreamResponse:
    bridge = _bridge(request)
    key = bridge.config.bridge_key
    reason = _check_signature(request, lambda ts: list_webhooks_hash(bridge_key=key, timestamp=ts))
    if reason is not None:
        return _unauthorized(request, reason)
    return _json(request, [item.to_json() for item in bridge.registry])


class _BadRegistrationError(ValueError):
    """A ``POST /webhooks`` body the bridge cannot use; the message says why."""


def _registration_url(body: Any) -> str:
    if not isinstance(body, dict):
        raise _BadRegistrationError("body must be a JSON object")
    url = body.get("url")
    if not isinstance(url, str) or not url.strip():
        raise _BadRegistrationError("url missing")
    if len(url) > MAX_URL_LENGTH:
        raise _BadRegistrationError("url too long")
    if not url.lower().startswith(("http://", "https://")):
        raise _BadRegistrationError("url must start with http:// or https://")
    return url


async def _read_registration(request: web.Request) -> tuple[str, int]:
    """Return (url, flags) from a POST body; _BadRegistrationError says why not.

    A body over ``MAX_BODY_BYTES`` is answered 413 by aiohttp itself.
    """
    raw = await request.read()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _BadRegistrationError("body is not JSON") from None
    url = _registration_url(body)
    try:
        flags = flags_from_fields(body)
    except ValueError as err:
        raise _BadRegistrationError(str(err)) from None
    return url, flags


async def _create_webhook(request: web.Request) -> web.StreamResponse:
    bridge = _bridge(request)
    try:
        url, flags = await _read_registration(request)
    except _BadRegistrationError as err:
        return _text(request, f"Bad request: {err}", 400)
    key = bridge.config.bridge_key
    reason = _check_signature(
        request,
        lambda ts: create_webhook_hash(bridge_key=key, url=url, flags=flags, timestamp=ts),
    )
    if reason is not None:
        return _unauthorized(request, reason)
    registration = bridge.registry.add(url, flags)
    _LOGGER.info("webhook %d registered for %s", registration.id, registration.host)
    return _json(request, registration.to_json())


async def _delete_webhook(request: web.Request) -> web.StreamResponse:
    bridge = _bridge(request)
    text = request.match_info["webhook_id"]
    if not text.isdigit() or int(text) > _U64_MAX:
        return _text(request, "Bad request: webhook id must be a non-negative integer", 400)
    webhook_id = int(text)
    key = bridge.config.bridge_key
    reason = _check_signature(
        request,
        lambda ts: delete_webhook_hash(bridge_key=key, webhook_id=webhook_id, timestamp=ts),
    )
    if reason is not None:
        return _unauthorized(request, reason)
    if not bridge.registry.remove(webhook_id):
        return _text(request, "Not found: no webhook with this id", 404)
    _LOGGER.info("webhook %d deleted", webhook_id)
    return _json(request, {"id": webhook_id, "deleted": True})


def build_bridge_app(bridge: EmulatedBridge) -> web.Application:
    """Return the aiohttp application of the bridge API for this bridge."""
    app = web.Application(middlewares=[_faults_middleware], client_max_size=MAX_BODY_BYTES)
    app[BRIDGE_KEY] = bridge
    app.router.add_get("/status", _status)
    app.router.add_get("/to_lock", _to_lock)
    app.router.add_get("/state", _state)
    app.router.add_get("/webhooks", _list_webhooks)
    app.router.add_post("/webhooks", _create_webhook)
    app.router.add_delete("/webhooks/{webhook_id}", _delete_webhook)
    return app
