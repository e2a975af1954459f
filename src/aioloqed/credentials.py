"""Credentials for the local bridge API: host, bridge key, lock key and local key id.

Three ways in: the "Integration information" JSON of app.loqed.com/API-Config, an entry of the
cloud lock list, or explicit values. Input is taken as leniently as possible (a paste from a phone
may carry smart quotes, a BOM, non-breaking spaces, a trailing comma or text around the object);
the result is always normalised and validated. Secrets never appear in ``repr``, ``str`` or in
error messages.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
import ipaddress
import re
from typing import Any, Final, Self
from urllib.parse import unquote

import orjson

from aioloqed.const import DEFAULT_PORT, MAX_KEY_ID
from aioloqed.exceptions import LoqedCredentialsError


class CredentialsProblem(StrEnum):
    """Why a credentials field was refused."""

    NOT_JSON = "not_json"
    NOT_AN_OBJECT = "not_an_object"
    MISSING = "missing"
    NOT_BASE64 = "not_base64"
    WRONG_LENGTH = "wrong_length"
    OUT_OF_RANGE = "out_of_range"
    NOT_A_NUMBER = "not_a_number"
    INVALID_HOST = "invalid_host"


MIN_KEY_LENGTH: Final = 16
"""Shortest decoded key we accept (real keys are 32 bytes; see docs/protocol-notes.md)."""
MAX_KEY_LENGTH: Final = 64
"""Longest decoded key we accept."""
MAX_PORT: Final = 65535
_MAC_DIGITS: Final = 12
_MAX_HOSTNAME: Final = 253

# Characters a phone, a chat app or a word processor puts into pasted text.
_PASTE_TRANSLATION: Final = str.maketrans(
    {
        "\u201c": '"',  # left double quotation mark
        "\u201d": '"',  # right double quotation mark
        "\u201e": '"',  # double low-9 quotation mark
        "\u201f": '"',  # double high-reversed-9 quotation mark
        "\u00ab": '"',  # guillemets
        "\u00bb": '"',
        "\u2033": '"',  # double prime
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark
        "\u201a": "'",  # single low-9 quotation mark
        "\u201b": "'",  # single high-reversed-9 quotation mark
        "\u2032": "'",  # prime
        "\ufeff": None,  # byte order mark / zero width no-break space
        "\u200b": None,  # zero width space
        "\u200c": None,  # zero width non-joiner
        "\u200d": None,  # zero width joiner
        "\u2060": None,  # word joiner
        "\u00a0": " ",  # no-break space
        "\u2007": " ",  # figure space
        "\u202f": " ",  # narrow no-break space
    }
)
_TRAILING_COMMA: Final = re.compile(r",\s*([}\]])")
_HOST_LABEL: Final = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_WHITESPACE: Final = re.compile(r"\s+")
_MDNS_MAC: Final = re.compile(r"loqed-([0-9a-f]{12})(?:\.|$)", re.IGNORECASE)


def normalize_mac(value: str) -> str:
    """Return a MAC address as 12 lower-case hex digits without separators.

    Accepts ``:``, ``-``, ``.`` and whitespace as separators, any case. Raises :class:`ValueError`
    if the rest is not exactly 12 hex digits.
    """
    digits = "".join(ch for ch in value if ch not in ":-. \t").lower()
    if len(digits) != _MAC_DIGITS or any(ch not in "0123456789abcdef" for ch in digits):
        raise ValueError("a MAC address needs exactly 12 hex digits")
    return digits


def _is_hostname(value: str) -> bool:
    if len(value) > _MAX_HOSTNAME:
        return False
    labels = value.split(".")
    if not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return False
    # An all-numeric last label is a mistyped IPv4 address, not a host name.
    return not labels[-1].isdigit()


def _host_error(field: str, detail: str) -> LoqedCredentialsError:
    return LoqedCredentialsError(field, CredentialsProblem.INVALID_HOST, detail)


def _parse_port(text: str, field: str) -> int:
    if not text.isdigit():
        raise _host_error(field, "the port is not a number")
    port = int(text)
    if not 1 <= port <= MAX_PORT:
        raise _host_error(field, "the port is outside 1-65535")
    return port


def _strip_url(value: str, field: str) -> str:
    text = value.translate(_PASTE_TRANSLATION).strip()
    if not text:
        raise LoqedCredentialsError(field, CredentialsProblem.MISSING)
    lowered = text.lower()
    for scheme in ("http://", "https://"):
        if lowered.startswith(scheme):
            text = text[len(scheme) :]
            break
    return text.split("/", 1)[0]


def _split_bracketed(text: str, default_port: int, field: str) -> tuple[str, int]:
    host, sep, rest = text[1:].partition("]")
    if not sep:
        raise _host_error(field, "unclosed [ in an IPv6 address")
    port = default_port
    if rest:
        if not rest.startswith(":"):
            raise _host_error(field, "unexpected text after the IPv6 address")
        port = _parse_port(rest[1:], field)
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        raise _host_error(field, "not an IPv6 address") from None
    return host, port


def _split_host_port(value: str, default_port: int, field: str) -> tuple[str, int]:
    text = _strip_url(value, field)
    if text.startswith("["):
        return _split_bracketed(text, default_port, field)
    if text.count(":") > 1:
        return _split_bracketed(f"[{text}]", default_port, field)
    host, sep, port_text = text.partition(":")
    port = _parse_port(port_text, field) if sep else default_port
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        if not _is_hostname(host):
            raise _host_error(field, "not an address or host name") from None
        host = host.lower()
    return host, port


def parse_host_port(value: str, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    """Split ``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address into host and port.

    A leading ``http://`` and a trailing path are ignored. Raises
    :class:`~aioloqed.exceptions.LoqedCredentialsError` with ``field="host"``.
    """
    return _split_host_port(value, default_port, "host")


def _normalize_key(value: Any, field: str) -> str:
    """Return the canonical Base64 of a key, or raise naming ``field`` (never the value)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise LoqedCredentialsError(field, CredentialsProblem.MISSING)
    if not isinstance(value, str):
        raise LoqedCredentialsError(field, CredentialsProblem.NOT_BASE64, "expected a string")
    text = _WHITESPACE.sub("", value.translate(_PASTE_TRANSLATION)).strip("\"'")
    if "%" in text:
        text = unquote(text)
    text = text.replace("-", "+").replace("_", "/").rstrip("=")
    text += "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise LoqedCredentialsError(field, CredentialsProblem.NOT_BASE64) from None
    if not MIN_KEY_LENGTH <= len(raw) <= MAX_KEY_LENGTH:
        raise LoqedCredentialsError(
            field,
            CredentialsProblem.WRONG_LENGTH,
            f"decodes to {len(raw)} bytes, expected 32",
        )
    return base64.b64encode(raw).decode("ascii")


def _parse_key_id(value: Any, field: str) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise LoqedCredentialsError(field, CredentialsProblem.MISSING)
    if isinstance(value, bool):
        raise LoqedCredentialsError(field, CredentialsProblem.NOT_A_NUMBER)
    number: int
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        number = int(value.strip())
    else:
        raise LoqedCredentialsError(field, CredentialsProblem.NOT_A_NUMBER)
    if not 0 <= number <= MAX_KEY_ID:
        raise LoqedCredentialsError(field, CredentialsProblem.OUT_OF_RANGE, "expected 0-250")
    return number


def _optional_text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        text = value.translate(_PASTE_TRANSLATION).strip()
        return text or None
    return None


def _check_port(port: Any) -> int:
    if isinstance(port, float) and port.is_integer():
        port = int(port)  # number selectors in forms give floats
    elif isinstance(port, str) and port.strip().isdigit():
        port = int(port.strip())
    if isinstance(port, bool) or not isinstance(port, int):
        raise LoqedCredentialsError("port", CredentialsProblem.NOT_A_NUMBER)
    if not 1 <= port <= MAX_PORT:
        raise LoqedCredentialsError("port", CredentialsProblem.OUT_OF_RANGE, "expected 1-65535")
    return port


def _host_field(value: Any, field: str, default_port: int) -> tuple[str, int]:
    if value is None:
        raise LoqedCredentialsError(field, CredentialsProblem.MISSING)
    if not isinstance(value, str):
        raise _host_error(field, "expected a string")
    return _split_host_port(value, default_port, field)


def _loads_lenient(text: str) -> Any:
    """Decode JSON that went through a clipboard: try strict first, then repair."""
    text = text.translate(_PASTE_TRANSLATION).strip()
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end < start:
        raise LoqedCredentialsError("integration_information", CredentialsProblem.NOT_JSON)
    candidate = _TRAILING_COMMA.sub(r"\1", text[start : end + 1])
    for attempt in (candidate, candidate.replace("'", '"')):
        try:
            return orjson.loads(attempt)
        except orjson.JSONDecodeError:
            continue
    raise LoqedCredentialsError("integration_information", CredentialsProblem.NOT_JSON)


def _decode_information(data: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    parsed: Any = data
    if isinstance(parsed, bytes | bytearray | memoryview):
        try:
            parsed = bytes(parsed).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise LoqedCredentialsError(
                "integration_information", CredentialsProblem.NOT_JSON, "not UTF-8 text"
            ) from None
    if isinstance(parsed, str):
        parsed = _loads_lenient(parsed)
        if isinstance(parsed, str):  # the object was pasted as a JSON string
            parsed = _loads_lenient(parsed)
    if not isinstance(parsed, Mapping):
        raise LoqedCredentialsError("integration_information", CredentialsProblem.NOT_AN_OBJECT)
    return parsed


@dataclass(frozen=True, slots=True, repr=False)
class LoqedCredentials:
    """Everything needed to talk to one lock through its bridge, validated.

    Build it with :meth:`from_integration_information`, :meth:`from_cloud_lock` or
    :meth:`from_values`; direct construction validates too.
    """

    host: str
    """IP address or host name of the bridge, without port."""
    port: int
    """TCP port of the bridge's HTTP API (80 unless ``bridge_ip`` carried one)."""
    bridge_key: str
    """Bridge key, canonical Base64 (webhook management and verification)."""
    lock_key: str
    """Lock key, canonical Base64 (signs commands)."""
    local_key_id: int
    """Key slot of ``lock_key`` in the lock, 0..250."""
    lock_id: str | None = None
    """Cloud id of the lock, when known."""
    mdns_hostname: str | None = None
    """mDNS name of the bridge, e.g. ``LOQED-aabbccddeeff.local``."""
    name: str | None = None
    """Lock name (cloud lock list only)."""

    def __post_init__(self) -> None:
        """Validate the fields; raise :class:`LoqedCredentialsError` naming the field."""
        _check_port(self.port)
        host, port = _host_field(self.host, "host", self.port)
        object.__setattr__(self, "host", host)
        object.__setattr__(self, "port", port)
        object.__setattr__(self, "bridge_key", _normalize_key(self.bridge_key, "bridge_key"))
        object.__setattr__(self, "lock_key", _normalize_key(self.lock_key, "lock_key"))
        object.__setattr__(self, "local_key_id", _parse_key_id(self.local_key_id, "local_key_id"))

    @property
    def bridge_key_bytes(self) -> bytes:
        """The decoded bridge key."""
        return base64.b64decode(self.bridge_key)

    @property
    def lock_key_bytes(self) -> bytes:
        """The decoded lock key."""
        return base64.b64decode(self.lock_key)

    @property
    def mac_from_mdns(self) -> str | None:
        """The bridge's Wi-Fi MAC (12 lower-case hex digits) taken from its mDNS name."""
        if self.mdns_hostname is None:
            return None
        match = _MDNS_MAC.search(self.mdns_hostname)
        return match.group(1).lower() if match else None

    def __repr__(self) -> str:
        """Show where the bridge is and which key slot is used; never the keys."""
        return (
            f"LoqedCredentials(host={self.host!r}, port={self.port}, "
            f"local_key_id={self.local_key_id}, bridge_key='***', lock_key='***')"
        )

    __str__ = __repr__

    @classmethod
    def from_values(
        cls,
        *,
        host: str,
        bridge_key: str,
        lock_key: str,
        local_key_id: int | str,
        port: int | None = None,
    ) -> Self:
        """Build credentials from values typed by a user.

        ``host`` may carry a port (``host:port``, ``[v6]:port``); a port in ``host`` wins over the
        ``port`` argument, which is the default otherwise.
        """
        default_port = DEFAULT_PORT if port is None else _check_port(port)
        parsed_host, parsed_port = _host_field(host, "host", default_port)
        return cls(
            host=parsed_host,
            port=parsed_port,
            bridge_key=_normalize_key(bridge_key, "bridge_key"),
            lock_key=_normalize_key(lock_key, "lock_key"),
            local_key_id=_parse_key_id(local_key_id, "local_key_id"),
        )

    @classmethod
    def from_integration_information(cls, data: str | bytes | Mapping[str, Any]) -> Self:
        """Build credentials from the "Integration information" JSON of app.loqed.com/API-Config.

        Accepts the text as pasted (surrounding text and whitespace, smart quotes, a trailing
        comma, a BOM, non-breaking spaces), its bytes, or the decoded object. An object with the
        cloud lock-list field names (``key_secret``...) is handed to :meth:`from_cloud_lock`.
        """
        info = _decode_information(data)
        if "lock_key_key" not in info and "key_secret" in info:
            return cls.from_cloud_lock(info)
        mdns = _optional_text(info.get("bridge_mdns_hostname"))
        host_value = info.get("bridge_ip")
        host_field = "bridge_ip"
        if _optional_text(host_value) is None and mdns is not None:
            host_value, host_field = mdns, "bridge_mdns_hostname"
        host, port = _host_field(
            _optional_text(host_value) if host_value is not None else None,
            host_field,
            DEFAULT_PORT,
        )
        return cls(
            host=host,
            port=port,
            bridge_key=_normalize_key(info.get("bridge_key"), "bridge_key"),
            lock_key=_normalize_key(info.get("lock_key_key"), "lock_key_key"),
            local_key_id=_parse_key_id(info.get("lock_key_local_id"), "lock_key_local_id"),
            lock_id=_optional_text(info.get("lock_id")),
            mdns_hostname=mdns,
        )

    @classmethod
    def from_cloud_lock(cls, lock: Mapping[str, Any]) -> Self:
        """Build credentials from one entry of the cloud lock list (``GET /api/locks/``).

        Field names of protocol 6.3: ``key_secret``, ``local_id``, ``bridge_ip``,
        ``bridge_hostname``, ``bridge_key``, ``id``, ``name``.
        """
        if not isinstance(lock, Mapping):
            raise LoqedCredentialsError("lock", CredentialsProblem.NOT_AN_OBJECT)
        mdns = _optional_text(lock.get("bridge_hostname"))
        host_value = _optional_text(lock.get("bridge_ip"))
        host_field = "bridge_ip"
        if host_value is None and mdns is not None:
            host_value, host_field = mdns, "bridge_hostname"
        host, port = _host_field(host_value, host_field, DEFAULT_PORT)
        return cls(
            host=host,
            port=port,
            bridge_key=_normalize_key(lock.get("bridge_key"), "bridge_key"),
            lock_key=_normalize_key(lock.get("key_secret"), "key_secret"),
            local_key_id=_parse_key_id(lock.get("local_id"), "local_id"),
            lock_id=_optional_text(lock.get("id")),
            mdns_hostname=mdns,
            name=_optional_text(lock.get("name")),
        )
