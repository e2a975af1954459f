"""Forged webhook requests: what someone on the network (or a broken bridge) might send.

Pure and repeatable: the same seed gives the same requests. Each request has a ``kind`` for
the report. Only two kinds carry a signature made with the real bridge key, and neither can move
the lock: bodies that are not JSON objects, and deeply nested JSON without an event type (they
exercise the parser behind the signature check). Everything else is unsigned, signed with a
wrong key, or a real lock event whose body, timestamp or hash was tampered with, so none of them
may change anything.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import json
import random
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable

KIB: Final = 1024
MIB: Final = 1024 * KIB
HUGE_SIZES: Final = (16 * KIB + 1, 64 * KIB, MIB, 8 * MIB, 17 * MIB)
"""Body sizes of the ``huge`` kind: just over the verifier's limit up to over Home Assistant's."""
MAX_EIGHT_MIB: Final = 4
MAX_SEVENTEEN_MIB: Final = 2
LOCK_EVENTS: Final = (
    ("STATE_CHANGED_OPEN", "OPEN"),
    ("STATE_CHANGED_LATCH", "DAY_LOCK"),
    ("STATE_CHANGED_NIGHT_LOCK", "NIGHT_LOCK"),
    ("GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN", "OPEN"),
    ("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", "NIGHT_LOCK"),
    ("MOTOR_STALL", "UNKNOWN"),
)
WRONG_METHODS: Final = ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")
BAD_TIMESTAMPS: Final = (
    "",
    " ",
    "abc",
    "1.5",
    "-5",
    "1e9",
    "0x10",
    "\uff11\uff12\uff13",  # full-width digits
    "9" * 30,
    str(2**64),
    "1700000000 1700000000",
)
# Share of each kind, in this order (they add up to 1).
MIX: Final = (
    ("random_body", 0.12),
    ("tampered", 0.16),
    ("wrong_hash", 0.10),
    ("wrong_key", 0.10),
    ("wrong_method", 0.10),
    ("bad_headers", 0.13),
    ("bad_encoding", 0.03),
    ("non_json", 0.08),
    ("deep_json", 0.08),
    ("huge", 0.05),
    ("unsigned", 0.05),
)


def body_hash(key: bytes, body: bytes, timestamp: int) -> str:
    """Return the bridge's webhook HASH (protocol 5.3).

    Written out here so that the suite checks the product rather than sharing its code.
    """
    return hashlib.sha256(body + timestamp.to_bytes(8, "big") + key).hexdigest()


@dataclass(frozen=True, slots=True)
class ForgedRequest:
    """One request to send to the integration's webhook URL."""

    kind: str
    method: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    huge: int = 0
    """When set, the body is this many bytes of ``{`` (built only when sent)."""

    def payload(self) -> bytes:
        """Return the body to send."""
        return b"{" * self.huge if self.huge else self.body


class Forger:
    """Build forged requests for one bridge (its key and MACs) at one moment."""

    def __init__(self, bridge_key: bytes, mac_wifi: str, mac_ble: str, now: int, seed: int) -> None:
        """Remember what a real webhook of this bridge looks like."""
        self._key = bridge_key
        self._macs = (mac_wifi, mac_ble)
        self.now = now
        self._rng = random.Random(seed)  # noqa: S311 - test data, not cryptography
        self._eight_mib = 0
        self._seventeen_mib = 0

    # ------------------------------------------------------------------ building blocks
    def _event(self) -> bytes:
        event_type, requested = self._rng.choice(LOCK_EVENTS)
        payload = {
            "requested_state": requested,
            "mac_wifi": self._macs[0],
            "mac_ble": self._macs[1],
            "event_type": event_type,
            "key_local_id": self._rng.choice([1, 5, 255]),
        }
        return json.dumps(payload, separators=(",", ":")).encode()

    def _headers(
        self, body: bytes, *, key: bytes | None = None, timestamp: int | None = None
    ) -> tuple[tuple[str, str], ...]:
        stamp = self.now if timestamp is None else timestamp
        digest = body_hash(self._key if key is None else key, body, stamp)
        return (("Content-Type", "application/json"), ("TIMESTAMP", str(stamp)), ("HASH", digest))

    def _random_hex(self, length: int = 64) -> str:
        return "".join(self._rng.choice("0123456789abcdef") for _ in range(length))

    # ------------------------------------------------------------------ kinds
    def random_body(self) -> ForgedRequest:
        """Random bytes with a random timestamp and hash."""
        body = self._rng.randbytes(self._rng.randint(0, 2048))
        headers = (("TIMESTAMP", str(self.now)), ("HASH", self._random_hex()))
        return ForgedRequest("random_body", "POST", headers, body)

    def tampered(self) -> ForgedRequest:
        """Return a real lock event signed with the real key, then one thing changed."""
        body = self._event()
        headers = dict(self._headers(body))
        how = self._rng.randrange(4)
        if how == 0:  # one byte of the body
            index = self._rng.randrange(len(body))
            changed = bytearray(body)
            changed[index] = (changed[index] + self._rng.randint(1, 255)) % 256
            body = bytes(changed)
        elif how == 1:  # the timestamp, by a second or more
            headers["TIMESTAMP"] = str(self.now + self._rng.choice([-3600, -1, 1, 7]))
        elif how == 2:  # noqa: PLR2004 - the third way
            body += b" "
        else:  # one hex digit of the hash
            digest = list(headers["HASH"])
            index = self._rng.randrange(len(digest))
            digest[index] = "0" if digest[index] != "0" else "1"
            headers["HASH"] = "".join(digest)
        return ForgedRequest("tampered", "POST", tuple(headers.items()), body)

    def wrong_hash(self) -> ForgedRequest:
        """Return a real lock event with a hash that is random, short, long, zero or not hex."""
        body = self._event()
        digest = self._rng.choice(
            [
                self._random_hex(),
                self._random_hex(63),
                self._random_hex(128),
                "0" * 64,
                "zz" * 32,
                "-",
            ]
        )
        headers = (
            ("Content-Type", "application/json"),
            ("TIMESTAMP", str(self.now)),
            ("HASH", digest),
        )
        return ForgedRequest("wrong_hash", "POST", headers, body)

    def wrong_key(self) -> ForgedRequest:
        """Return a real lock event signed with another key."""
        body = self._event()
        key = self._rng.randbytes(32)
        return ForgedRequest("wrong_key", "POST", self._headers(body, key=key), body)

    def wrong_method(self) -> ForgedRequest:
        """Return a real signed-looking request with a method other than POST (wrong key)."""
        body = self._event()
        method = self._rng.choice(WRONG_METHODS)
        key = self._rng.randbytes(32)
        return ForgedRequest("wrong_method", method, self._headers(body, key=key), body)

    def bad_headers(self) -> ForgedRequest:
        """Unparseable TIMESTAMP, odd header names, duplicates, or a hash with odd characters."""
        body = self._event()
        digest = body_hash(self._key, body, self.now)
        choice = self._rng.randrange(4)
        if choice == 0:
            headers: tuple[tuple[str, str], ...] = (
                ("TIMESTAMP", self._rng.choice(BAD_TIMESTAMPS)),
                ("HASH", digest),
            )
        elif choice == 1:  # duplicated headers, the second one wrong
            headers = (
                ("TIMESTAMP", str(self.now)),
                ("TIMESTAMP", str(self.now + 99)),
                ("HASH", self._random_hex()),
            )
        elif choice == 2:  # noqa: PLR2004 - the third way
            headers = (("TiMeStAmP", str(self.now)), ("hash", digest.upper() + "x"))
        else:
            headers = (("TIMESTAMP", str(self.now)), ("HASH", "é" * 64))
        return ForgedRequest("bad_headers", "POST", headers, body)

    def bad_encoding(self) -> ForgedRequest:
        """Return a body that claims a compression it does not have (or an unknown one)."""
        body = self._event()
        encoding = self._rng.choice(["gzip", "deflate", "br", "x-unknown"])
        headers = (
            ("Content-Encoding", encoding),
            ("TIMESTAMP", str(self.now)),
            ("HASH", self._random_hex()),
        )
        return ForgedRequest("bad_encoding", "POST", headers, body)

    def non_json(self) -> ForgedRequest:
        """Return a body that is not a JSON object; half signed with the real key."""
        body = self._rng.choice(
            [
                b"",
                b"null",
                b"[]",
                b"[1,2,3]",
                b'"text"',
                b"42",
                b"{",
                b"\xff\xfe\x00",
                b"<html></html>",
                b'{"a":1,}',
                b"\x00" * 64,
            ]
        )
        if self._rng.random() < 0.5:  # noqa: PLR2004 - half of them
            return ForgedRequest("non_json", "POST", self._headers(body), body)
        return ForgedRequest(
            "non_json", "POST", (("TIMESTAMP", str(self.now)), ("HASH", self._random_hex())), body
        )

    def deep_json(self) -> ForgedRequest:
        """Deeply nested JSON without an event type; signed with the real key, or unsigned."""
        depth = self._rng.choice([64, 512, 1023, 1100, 5000])
        opener, closer = self._rng.choice([(b'{"a":', b"}"), (b"[", b"]")])
        body = opener * depth + b"1" + closer * depth
        if self._rng.random() < 0.5:  # noqa: PLR2004 - half of them
            return ForgedRequest("deep_json", "POST", self._headers(body), body)
        return ForgedRequest("deep_json", "POST", (("Content-Type", "application/json"),), body)

    def huge(self) -> ForgedRequest:
        """Return a body larger than any bridge sends (some larger than Home Assistant accepts)."""
        sizes = list(HUGE_SIZES)
        if self._eight_mib >= MAX_EIGHT_MIB:
            sizes.remove(8 * MIB)
        if self._seventeen_mib >= MAX_SEVENTEEN_MIB:
            sizes.remove(17 * MIB)
        size = self._rng.choice(sizes)
        self._eight_mib += size == 8 * MIB
        self._seventeen_mib += size == 17 * MIB
        headers = (("TIMESTAMP", str(self.now)), ("HASH", self._random_hex()))
        return ForgedRequest("huge", "POST", headers, huge=size)

    def unsigned(self) -> ForgedRequest:
        """Return a lock event without TIMESTAMP or HASH: at most a hint to read the status."""
        body = self._event()
        headers = self._rng.choice(
            [(), (("TIMESTAMP", str(self.now)),), (("HASH", self._random_hex()),)]
        )
        return ForgedRequest("unsigned", "POST", headers, body)

    # ------------------------------------------------------------------ the mix
    def requests(self, count: int) -> list[ForgedRequest]:
        """Return ``count`` requests in the proportions of `MIX`, shuffled."""
        makers: dict[str, Callable[[], ForgedRequest]] = {
            "random_body": self.random_body,
            "tampered": self.tampered,
            "wrong_hash": self.wrong_hash,
            "wrong_key": self.wrong_key,
            "wrong_method": self.wrong_method,
            "bad_headers": self.bad_headers,
            "bad_encoding": self.bad_encoding,
            "non_json": self.non_json,
            "deep_json": self.deep_json,
            "huge": self.huge,
            "unsigned": self.unsigned,
        }
        plan: list[str] = []
        for kind, share in MIX:
            plan.extend([kind] * max(1, round(count * share)))
        plan = plan[:count]
        while len(plan) < count:
            plan.append("random_body")
        self._rng.shuffle(plan)
        return [makers[kind]() for kind in plan]
