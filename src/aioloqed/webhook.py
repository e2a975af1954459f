"""Verification of incoming bridge webhooks: hash, time window, replay cache, size limit.

Pure: the caller passes the raw body bytes, the headers and the current time. The checks run
from cheapest to dearest and from "who sent this" to "what does it say":

1. size (``TOO_LARGE``): before hashing anything, so a flood of large bodies costs little;
2. ``TIMESTAMP`` and ``HASH`` present, else :class:`UnverifiableWebhook` (some 2026 bridges);
3. ``TIMESTAMP`` a decimal integer (``BAD_HEADER``);
4. hash over the raw bytes, constant-time compare (``BAD_HASH``): before the window, so that a
   ``STALE`` answer (with its skew) is only ever given for a message the bridge really signed;
5. window (``STALE``, with the skew, to diagnose clock problems);
6. replay cache (``REPLAY``): only authentic, fresh messages enter it, so forgeries cannot
   fill it;
7. JSON object (``NOT_JSON``), then typed parsing, which never fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import hmac
from itertools import islice
from typing import TYPE_CHECKING, Final, TypeAlias

import orjson

from aioloqed.const import DEFAULT_MAX_BODY_SIZE, DEFAULT_TIMESTAMP_WINDOW
from aioloqed.events import LoqedEvent, parse_event
from aioloqed.exceptions import LoqedVerificationError
from aioloqed.signing import webhook_body_digest

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

_U64_MAX: Final = 2**64 - 1
_MAX_TIMESTAMP_DIGITS: Final = 20
_PRUNE_SPACING: Final = 1.0
"""Seconds between two passes over the replay cache for entries older than the window."""


class RejectReason(StrEnum):
    """Why an incoming webhook was rejected."""

    BAD_HASH = "bad_hash"
    STALE = "stale"
    REPLAY = "replay"
    TOO_LARGE = "too_large"
    NOT_JSON = "not_json"
    BAD_HEADER = "bad_header"


@dataclass(slots=True)
class VerifiedWebhook:
    """A webhook signed by our bridge, fresh, seen for the first time (a value, like the events)."""

    event: LoqedEvent
    timestamp: int
    """The ``TIMESTAMP`` header."""
    skew: float
    """``timestamp - now``: positive when the bridge's clock is ahead of ours."""


@dataclass(frozen=True, slots=True)
class RejectedWebhook:
    """A webhook that must not be trusted or used."""

    reason: RejectReason
    skew: float | None = None
    """For ``STALE`` (hash valid): ``timestamp - now``."""


@dataclass(frozen=True, slots=True)
class UnverifiableWebhook:
    """A webhook without ``TIMESTAMP`` or ``HASH``: a hint to read the status, never state."""

    event: LoqedEvent | None
    """The parsed body if it is a JSON object, else ``None``."""


WebhookResult: TypeAlias = VerifiedWebhook | RejectedWebhook | UnverifiableWebhook

_TOO_LARGE: Final = RejectedWebhook(RejectReason.TOO_LARGE)
_BAD_HEADER: Final = RejectedWebhook(RejectReason.BAD_HEADER)
_BAD_HASH: Final = RejectedWebhook(RejectReason.BAD_HASH)
_REPLAY: Final = RejectedWebhook(RejectReason.REPLAY)
_NOT_JSON: Final = RejectedWebhook(RejectReason.NOT_JSON)


def _header(headers: Mapping[str, str], lower: str) -> str | None:
    """Look a header up case-insensitively, in a mapping that may not do it by itself.

    :meth:`WebhookVerifier.verify` tries the bridge's own spelling (upper case) first.
    """
    value = headers.get(lower)
    if value is None:
        for name, candidate in headers.items():
            if name.lower() == lower:
                return candidate
    return value


def _parse_timestamp(text: str) -> int | None:
    text = text.strip()
    if not text or len(text) > _MAX_TIMESTAMP_DIGITS or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= _U64_MAX else None


def _decode_object(body: bytes) -> dict[str, object] | None:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


class WebhookVerifier:
    """Verify webhooks from one bridge; holds the replay cache, so keep one per bridge."""

    __slots__ = (
        "_bridge_key",
        "_horizon",
        "_max_body_size",
        "_next_prune",
        "_replay_cache_size",
        "_seen",
        "_window",
    )

    def __init__(
        self,
        bridge_key: bytes,
        *,
        window: float = DEFAULT_TIMESTAMP_WINDOW,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        replay_cache_size: int = 4096,
    ) -> None:
        """Set up a verifier for the raw (Base64-decoded) bridge key.

        ``window``: seconds a ``TIMESTAMP`` may differ from our clock either way.
        ``max_body_size``: largest body in bytes. ``replay_cache_size``: most messages remembered.
        """
        if not bridge_key:
            raise ValueError("bridge_key must not be empty")
        if max_body_size < 0:
            raise ValueError("max_body_size must not be negative")
        if replay_cache_size < 1:
            raise ValueError("replay_cache_size must be at least 1")
        self._bridge_key = bytes(bridge_key)
        self._window = 0.0
        self._horizon = 0.0
        self._max_body_size = max_body_size
        self._replay_cache_size = replay_cache_size
        # SHA-256 digest -> TIMESTAMP, in insertion order (oldest first)
        self._seen: dict[bytes, int] = {}
        self._next_prune = 0.0
        self.window = window

    def __repr__(self) -> str:
        """Describe the settings; never the key."""
        return (
            f"WebhookVerifier(window={self._window}, max_body_size={self._max_body_size}, "
            f"replay_cache_size={self._replay_cache_size})"
        )

    @property
    def window(self) -> float:
        """Seconds a webhook's ``TIMESTAMP`` may differ from our clock."""
        return self._window

    @window.setter
    def window(self, value: float) -> None:
        if not value >= 0:
            raise ValueError("window must be a non-negative number of seconds")
        self._window = float(value)
        # Entries are kept for the widest window ever used, so widening never reopens a replay.
        self._horizon = max(self._horizon, self._window)

    @property
    def max_body_size(self) -> int:
        """Largest accepted body, in bytes."""
        return self._max_body_size

    @property
    def replay_cache_len(self) -> int:
        """How many signed messages the replay cache currently remembers."""
        return len(self._seen)

    def _prune(self, now: float) -> None:
        """Drop entries older than the widest window, and the oldest beyond the cache size.

        :meth:`verify` calls it when the cache is over its size or the next walk for old entries
        is due: at most once per ``_PRUNE_SPACING`` seconds (an entry kept a little longer only
        refuses a replay that the window refuses anyway). The size bound holds after every
        insert. A clock set back keeps entries until it catches up: the size bound still holds.
        """
        seen = self._seen
        if now >= self._next_prune:
            self._next_prune = now + _PRUNE_SPACING
            oldest_useful = now - self._horizon
            old = []
            for key, timestamp in seen.items():
                if timestamp >= oldest_useful:
                    break
                old.append(key)
            for key in old:
                del seen[key]
        excess = len(seen) - self._replay_cache_size
        if excess > 0:
            for key in list(islice(seen, excess)):
                del seen[key]

    def verify(  # noqa: PLR0911 - one return per documented check
        self, body: bytes, headers: Mapping[str, str], now: float
    ) -> WebhookResult:
        """Check one incoming webhook; see the module docstring for the order of the checks."""
        if len(body) > self._max_body_size:
            return _TOO_LARGE
        # The bridge's spelling first (aiohttp's headers find any case with it).
        timestamp_header = headers.get("TIMESTAMP") or _header(headers, "timestamp")
        hash_header = headers.get("HASH") or _header(headers, "hash")
        if not timestamp_header or not hash_header:
            data = _decode_object(body)
            return UnverifiableWebhook(None if data is None else parse_event(data))
        timestamp = _parse_timestamp(timestamp_header)
        if timestamp is None:
            return _BAD_HEADER
        expected = webhook_body_digest(bridge_key=self._bridge_key, body=body, timestamp=timestamp)
        try:
            received = bytes.fromhex(hash_header)  # any case, spaces around it
        except ValueError:
            return _BAD_HASH
        if not hmac.compare_digest(expected, received):
            return _BAD_HASH
        skew = timestamp - now
        if abs(skew) > self._window:
            return RejectedWebhook(RejectReason.STALE, skew)
        seen = self._seen
        if expected in seen:
            return _REPLAY
        seen[expected] = timestamp
        if now >= self._next_prune or len(seen) > self._replay_cache_size:
            self._prune(now)
        data = _decode_object(body)
        if data is None:
            return _NOT_JSON
        return VerifiedWebhook(parse_event(data), timestamp, skew)

    def verify_or_raise(self, body: bytes, headers: Mapping[str, str], now: float) -> LoqedEvent:
        """Like :meth:`verify`, but return the event or raise ``LoqedVerificationError``.

        An unverifiable webhook raises with reason ``BAD_HEADER``.
        """
        result = self.verify(body, headers, now)
        if isinstance(result, VerifiedWebhook):
            return result.event
        if isinstance(result, RejectedWebhook):
            raise LoqedVerificationError(result.reason)
        raise LoqedVerificationError(
            RejectReason.BAD_HEADER, "Webhook rejected: no TIMESTAMP or HASH header"
        )

    def forget(self, hashes: Iterable[str] | None = None) -> None:
        """Empty the replay cache, or drop the given hex hashes from it (others are ignored)."""
        if hashes is None:
            self._seen.clear()
            return
        for value in hashes:
            try:
                self._seen.pop(bytes.fromhex(value), None)
            except ValueError:
                continue
