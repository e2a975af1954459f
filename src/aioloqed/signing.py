"""Pure signing functions of the bridge protocol; the time is always passed in.

* Command messages for ``GET /to_lock`` (protocol 2.1).
* ``HASH`` headers of the webhook-management calls (protocol 1.5).
* ``HASH`` of an incoming webhook (protocol 4.1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct

from aioloqed.const import (
    COMMAND_TYPE_NORMAL,
    COMMAND_TYPE_SPECIAL,
    DEVICE_ID,
    PROTOCOL_VERSION,
    LockAction,
)

_MESSAGE_ID = bytes(8)
_U64 = struct.Struct(">Q")
_U32 = struct.Struct(">I")
_COMMAND_FIELDS = struct.Struct(">BBQBBB")
"""protocol · command type · timestamp · local key id · device id · action (13 bytes)."""
_BYTE_MAX = 0xFF


def _u64(value: int, what: str) -> bytes:
    try:
        return _U64.pack(value)
    except struct.error:
        raise ValueError(f"{what} must fit an unsigned 64-bit integer") from None


def _byte(value: int, what: str) -> int:
    if not 0 <= value <= _BYTE_MAX:
        raise ValueError(f"{what} must be 0..255")
    return value


def command_hmac_input(
    *,
    local_key_id: int,
    action: LockAction,
    timestamp: int,
    command_type: int = COMMAND_TYPE_NORMAL,
) -> bytes:
    """Return the 13 bytes the command HMAC covers.

    protocol (2) · command type · timestamp (u64 BE) · local key id · device id (1) · action.
    """
    try:
        return _COMMAND_FIELDS.pack(
            PROTOCOL_VERSION, command_type, timestamp, local_key_id, DEVICE_ID, action
        )
    except struct.error:
        # Name the field that does not fit.
        _byte(command_type, "command_type")
        _u64(timestamp, "timestamp")
        _byte(local_key_id, "local_key_id")
        _byte(int(action), "action")
        raise ValueError("command fields must be integers") from None


class CommandSigner:
    """Signs commands with one lock key, keyed once.

    The HMAC's key schedule is worked out here and copied for each command, which costs about
    half of keying it again. Holds the key: never shown in its ``repr``.
    """

    __slots__ = ("_keyed",)

    def __init__(self, lock_key: bytes) -> None:
        """Key the HMAC-SHA256 with ``lock_key`` (the decoded lock key)."""
        self._keyed = hmac.new(lock_key, digestmod=hashlib.sha256)

    def sign(self, *, local_key_id: int, action: LockAction, timestamp: int) -> bytes:
        """Return the 53-byte signed command message for ``/to_lock``.

        message id (8 zero bytes) · protocol · command type · timestamp · HMAC-SHA256 (32) ·
        local key id · device id · action.
        """
        signed = command_hmac_input(local_key_id=local_key_id, action=action, timestamp=timestamp)
        mac = self._keyed.copy()
        mac.update(signed)
        return _MESSAGE_ID + signed[:10] + mac.digest() + signed[10:]


def sign_command(
    *, lock_key: bytes, local_key_id: int, action: LockAction, timestamp: int
) -> bytes:
    """Return the 53-byte signed command message for ``/to_lock`` (see :class:`CommandSigner`)."""
    return CommandSigner(lock_key).sign(
        local_key_id=local_key_id, action=action, timestamp=timestamp
    )


def encode_command(message: bytes) -> str:
    """Base64-encode a command and percent-encode every reserved character (``/``, ``+``, ``=``).

    The same as ``urllib.parse.quote(..., safe="")`` for the Base64 alphabet, in three
    replacements (this is on the way of every command).
    """
    text = base64.b64encode(message).decode("ascii")
    return text.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


def relay_message(action_byte: int = 1) -> bytes:
    """Return the unsigned 11-byte command type 89 message (experimental, protocol 2.4)."""
    return _MESSAGE_ID + bytes(
        (PROTOCOL_VERSION, COMMAND_TYPE_SPECIAL, _byte(action_byte, "action_byte"))
    )


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.hexdigest()


def list_webhooks_hash(*, bridge_key: bytes, timestamp: int) -> str:
    """``HASH`` for ``GET /webhooks``: SHA-256(timestamp u64 BE · bridge key), lower-case hex."""
    return _digest(_u64(timestamp, "timestamp"), bridge_key)


def create_webhook_hash(*, bridge_key: bytes, url: str, triggers: int, timestamp: int) -> str:
    """``HASH`` for ``POST /webhooks``: SHA-256(url · flags u32 BE · timestamp · bridge key)."""
    try:
        flags = _U32.pack(int(triggers))
    except struct.error:
        raise ValueError("triggers must fit an unsigned 32-bit integer") from None
    return _digest(url.encode("utf-8"), flags, _u64(timestamp, "timestamp"), bridge_key)


def delete_webhook_hash(*, bridge_key: bytes, webhook_id: int, timestamp: int) -> str:
    """``HASH`` for ``DELETE /webhooks/<id>``: SHA-256(id u64 BE · timestamp · bridge key)."""
    return _digest(_u64(webhook_id, "webhook_id"), _u64(timestamp, "timestamp"), bridge_key)


def webhook_body_digest(*, bridge_key: bytes, body: bytes, timestamp: int) -> bytes:
    """Return the 32 bytes behind an incoming webhook's ``HASH`` (:func:`webhook_body_hash`).

    One call over one buffer: the verifier runs it for every webhook.
    """
    return hashlib.sha256(body + _u64(timestamp, "timestamp") + bridge_key).digest()


def webhook_body_hash(*, bridge_key: bytes, body: bytes, timestamp: int) -> str:
    """``HASH`` of an incoming webhook: SHA-256(raw body · timestamp u64 BE · bridge key)."""
    return webhook_body_digest(bridge_key=bridge_key, body=body, timestamp=timestamp).hex()


def management_headers(*, hash_hex: str, timestamp: int) -> dict[str, str]:
    """Return the ``TIMESTAMP`` and ``HASH`` headers of a management call."""
    return {"TIMESTAMP": str(int(timestamp)), "HASH": hash_hex}
