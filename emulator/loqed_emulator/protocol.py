"""The bridge's and the lock's side of the LOQED local protocol (docs/protocol.md).

Written from the byte layouts of protocol.md alone, so that a mistake in the client library cannot
hide behind the same mistake here. Every function is pure: times are passed in.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from enum import IntEnum
import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

PROTOCOL_VERSION: Final = 2
COMMAND_TYPE_NORMAL: Final = 7
COMMAND_TYPE_RELAY: Final = 89
DEVICE_ID: Final = 1
NO_KEY_ID: Final = 255
MAX_KEY_ID: Final = 250
MESSAGE_ID_LENGTH: Final = 8
SIGNED_COMMAND_LENGTH: Final = 53
RELAY_COMMAND_LENGTH: Final = 11
MAC_LENGTH: Final = 32

# Bit i of the trigger bitmap (protocol 5.2) is TRIGGER_FIELDS[i].
TRIGGER_FIELDS: Final = (
    "trigger_state_changed_open",
    "trigger_state_changed_latch",
    "trigger_state_changed_night_lock",
    "trigger_state_changed_unknown",
    "trigger_state_goto_open",
    "trigger_state_goto_latch",
    "trigger_state_goto_night_lock",
    "trigger_battery",
    "trigger_online_status",
)
ALL_TRIGGERS: Final = (1 << len(TRIGGER_FIELDS)) - 1

_U64_BYTES: Final = 8
_U32_BYTES: Final = 4


class Action(IntEnum):
    """Action byte of a signed command (protocol 2.2)."""

    OPEN = 1
    DAY_LOCK = 2
    NIGHT_LOCK = 3


class MalformedCommandError(ValueError):
    """A message on ``/to_lock`` that the lock cannot parse; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        """Keep the reason (never the message bytes, which may be a valid signed command)."""
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SignedCommand:
    """A parsed 53-byte command (command type 7)."""

    timestamp: int
    key_id: int
    device_id: int
    action: int
    mac: bytes = field(repr=False)

    def signed_bytes(self) -> bytes:
        """Return the 13 bytes the HMAC covers."""
        return hmac_input(
            key_id=self.key_id,
            action=self.action,
            timestamp=self.timestamp,
            device_id=self.device_id,
        )


@dataclass(frozen=True, slots=True)
class RelayCommand:
    """A parsed 11-byte command type 89 message (experimental, protocol 2.4)."""

    action_byte: int


def hmac_input(
    *,
    key_id: int,
    action: int,
    timestamp: int,
    device_id: int = DEVICE_ID,
    command_type: int = COMMAND_TYPE_NORMAL,
) -> bytes:
    """Return protocol · command type · timestamp (u64 BE) · key id · device id · action."""
    return (
        bytes((PROTOCOL_VERSION, command_type))
        + timestamp.to_bytes(_U64_BYTES, "big")
        + bytes((key_id, device_id, action))
    )


def command_mac(lock_key: bytes, signed: bytes) -> bytes:
    """Return HMAC-SHA256 of the signed bytes under the lock key."""
    return hmac.new(lock_key, signed, hashlib.sha256).digest()


def build_signed_command(*, lock_key: bytes, key_id: int, action: int, timestamp: int) -> bytes:
    """Return the 53-byte message a client sends (used by tests and the control page)."""
    signed = hmac_input(key_id=key_id, action=action, timestamp=timestamp)
    header, trailer = signed[:10], signed[10:]
    return bytes(MESSAGE_ID_LENGTH) + header + command_mac(lock_key, signed) + trailer


def build_relay_command(action_byte: int = 1) -> bytes:
    """Return the 11-byte command type 89 message."""
    return bytes(MESSAGE_ID_LENGTH) + bytes((PROTOCOL_VERSION, COMMAND_TYPE_RELAY, action_byte))


def decode_command_parameter(value: str) -> bytes:
    """Decode the (already URL-decoded) ``command_signed_base64`` value.

    Strict standard Base64: a raw ``+`` that a client forgot to percent-encode arrives as a space
    and is refused here, as protocol 1.3 warns.
    """
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise MalformedCommandError("not_base64") from None


def parse_command(message: bytes) -> SignedCommand | RelayCommand:
    """Parse a message relayed by the bridge; raise MalformedCommandError when it is not one."""
    header_end = MESSAGE_ID_LENGTH + 2
    if len(message) < header_end:
        raise MalformedCommandError("too_short")
    protocol, command_type = message[MESSAGE_ID_LENGTH], message[MESSAGE_ID_LENGTH + 1]
    if protocol != PROTOCOL_VERSION:
        raise MalformedCommandError("unsupported_protocol")
    if command_type == COMMAND_TYPE_RELAY:
        if len(message) != RELAY_COMMAND_LENGTH:
            raise MalformedCommandError("wrong_length")
        return RelayCommand(action_byte=message[header_end])
    if command_type != COMMAND_TYPE_NORMAL:
        raise MalformedCommandError("unknown_command_type")
    if len(message) != SIGNED_COMMAND_LENGTH:
        raise MalformedCommandError("wrong_length")
    mac_end = header_end + _U64_BYTES + MAC_LENGTH
    return SignedCommand(
        timestamp=int.from_bytes(message[header_end : header_end + _U64_BYTES], "big"),
        mac=message[header_end + _U64_BYTES : mac_end],
        key_id=message[mac_end],
        device_id=message[mac_end + 1],
        action=message[mac_end + 2],
    )


def mac_matches(command: SignedCommand, lock_key: bytes) -> bool:
    """Say whether the command's HMAC was made with this lock key (constant time)."""
    return hmac.compare_digest(command.mac, command_mac(lock_key, command.signed_bytes()))


def _sha256_hex(*parts: bytes) -> str:
    return hashlib.sha256(b"".join(parts)).hexdigest()


def list_webhooks_hash(*, bridge_key: bytes, timestamp: int) -> str:
    """``HASH`` of ``GET /webhooks``: timestamp (u64 BE) · bridge key."""
    return _sha256_hex(timestamp.to_bytes(_U64_BYTES, "big"), bridge_key)


def create_webhook_hash(*, bridge_key: bytes, url: str, flags: int, timestamp: int) -> str:
    """``HASH`` of ``POST /webhooks``: URL · flags (u32 BE) · timestamp (u64 BE) · bridge key."""
    return _sha256_hex(
        url.encode("utf-8"),
        flags.to_bytes(_U32_BYTES, "big"),
        timestamp.to_bytes(_U64_BYTES, "big"),
        bridge_key,
    )


def delete_webhook_hash(*, bridge_key: bytes, webhook_id: int, timestamp: int) -> str:
    """``HASH`` of ``DELETE /webhooks/<id>``: id (u64 BE) · timestamp (u64 BE) · bridge key."""
    return _sha256_hex(
        webhook_id.to_bytes(_U64_BYTES, "big"), timestamp.to_bytes(_U64_BYTES, "big"), bridge_key
    )


def webhook_body_hash(*, bridge_key: bytes, body: bytes, timestamp: int) -> str:
    """``HASH`` of an outgoing webhook: body bytes · timestamp (u64 BE) · bridge key."""
    return _sha256_hex(body, timestamp.to_bytes(_U64_BYTES, "big"), bridge_key)


def hashes_equal(received: str, expected: str) -> bool:
    """Compare two hex digests in constant time, ignoring the case of the received one."""
    return hmac.compare_digest(received.strip().lower().encode(), expected.lower().encode())


def _flag_value(name: str, value: Any) -> int:
    if value is None or value in (0, 1) or value in ("0", "1"):
        return int(value or 0)
    raise ValueError(f"{name} must be 0 or 1")


def flags_from_fields(body: Mapping[str, Any]) -> int:
    """Return the trigger bitmap of a registration body; a missing field counts as 0.

    Accepts 0/1, true/false and "0"/"1"; raises ValueError naming the field otherwise.
    """
    flags = 0
    for bit, name in enumerate(TRIGGER_FIELDS):
        flags |= _flag_value(name, body.get(name)) << bit
    return flags


def fields_from_flags(flags: int) -> dict[str, int]:
    """Return the nine ``trigger_*`` fields (0/1) of a bitmap, in protocol order."""
    return {name: (flags >> bit) & 1 for bit, name in enumerate(TRIGGER_FIELDS)}


def encode_json(value: Any) -> bytes:
    """Serialise compactly (no spaces), the form the bridge sends and signs."""
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def command_rejection(
    command: SignedCommand, lock_keys: Mapping[int, bytes], *, now: float, window: float
) -> str | None:
    """Return why the lock ignores a parsed command, or None when it acts on it.

    The lock checks, in this order: a key with this id exists, the HMAC matches that key, the
    timestamp is less than ``window`` seconds old (and not as far in the future), the action is
    known. Reasons: ``unknown_key``, ``bad_signature``, ``stale``, ``from_future``,
    ``unknown_action``.
    """
    key = lock_keys.get(command.key_id)
    if key is None:
        return "unknown_key"
    if not mac_matches(command, key):
        return "bad_signature"
    age = now - command.timestamp
    if age >= window:
        return "stale"
    if -age >= window:
        return "from_future"
    if command.action not in Action._value2member_map_:
        return "unknown_action"
    return None
