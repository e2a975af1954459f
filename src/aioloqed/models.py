"""Answers of the bridge (``/status``, ``/webhooks``) and tolerant value parsers.

The bridge is not consistent about types: numbers may arrive as strings, battery types as names
or codes, "no key" as 255, null, "" or a missing field. The parsers here accept all of these and
never raise; the model constructors raise :class:`~aioloqed.exceptions.LoqedResponseError` only
when the answer is not a JSON object at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import math
from typing import Any, Final, Self

import orjson

from aioloqed.const import MAX_KEY_ID, BatteryType, BoltState, WebhookTrigger
from aioloqed.exceptions import LoqedResponseError

_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")
_MAC_DIGITS: Final = 12
_MAX_PERCENT: Final = 100

_BATTERY_TYPES: Final[dict[str, BatteryType]] = {
    "alkaline": BatteryType.ALKALINE,
    "nickel_metal_hydride": BatteryType.NICKEL_METAL_HYDRIDE,
    "nimh": BatteryType.NICKEL_METAL_HYDRIDE,
    "lithium": BatteryType.LITHIUM,
    "unknown": BatteryType.UNKNOWN,
    "0": BatteryType.ALKALINE,
    "1": BatteryType.NICKEL_METAL_HYDRIDE,
    "2": BatteryType.LITHIUM,
    "3": BatteryType.UNKNOWN,
}
_BATTERY_CODES: Final = (
    BatteryType.ALKALINE,
    BatteryType.NICKEL_METAL_HYDRIDE,
    BatteryType.LITHIUM,
    BatteryType.UNKNOWN,
)
_BOLT_STATES: Final[dict[str, BoltState]] = {
    "unknown": BoltState.UNKNOWN,
    "open": BoltState.OPEN,
    "day_lock": BoltState.DAY_LOCK,
    "latch": BoltState.DAY_LOCK,
    "night_lock": BoltState.NIGHT_LOCK,
    "0": BoltState.UNKNOWN,
    "1": BoltState.OPEN,
    "2": BoltState.DAY_LOCK,
    "3": BoltState.NIGHT_LOCK,
}
_BOLT_CODES: Final = (BoltState.UNKNOWN, BoltState.OPEN, BoltState.DAY_LOCK, BoltState.NIGHT_LOCK)
_BOLT_SPELLINGS: Final[dict[str, BoltState]] = {
    **_BOLT_STATES,
    **{name.upper(): state for name, state in _BOLT_STATES.items()},
}
"""The names exactly as bridges write them (``night_lock`` in a status, ``NIGHT_LOCK`` in a
webhook): found in one lookup, before any clean-up."""


def parse_int(value: Any) -> int | None:
    """Read an integer sent as int, float or string; ``None`` for anything else.

    ``78``, ``"78"``, ``78.0``, ``" -1 "`` give ints; ``None``, ``""``, ``True``, ``"abc"``,
    ``NaN`` give ``None``. Fractions are truncated toward zero.
    """
    if type(value) is int:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    number = parse_float(value)
    return None if number is None else int(number)


def parse_float(value: Any) -> float | None:
    """Read a finite float sent as number or string; ``None`` for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def parse_bool(value: Any) -> bool | None:
    """Read a flag sent as bool, 0/1 or string (``"1"``, ``"true"``, ``"on"``...)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"true", "yes", "on"}:
            return True
        if text in {"false", "no", "off"}:
            return False
    number = parse_int(value)
    return None if number is None else number != 0


def _code(value: Any) -> int | None:
    number = parse_int(value)
    if number is None or (isinstance(value, float) and not value.is_integer()):
        return None
    return number


def parse_battery_type(value: Any) -> BatteryType:
    """Read a battery type given as name (any case) or code 0..3; ``UNKNOWN`` otherwise."""
    if isinstance(value, str):
        found = _BATTERY_TYPES.get(value.strip().lower())
        if found is not None:
            return found
    code = _code(value)
    if code is not None and 0 <= code < len(_BATTERY_CODES):
        return _BATTERY_CODES[code]
    return BatteryType.UNKNOWN


def parse_bolt_state(value: Any) -> BoltState:
    """Read a bolt state given as name (any case, also ``*_remote``) or code 0..3."""
    if type(value) is str:
        found = _BOLT_SPELLINGS.get(value)
        if found is not None:
            return found
    if isinstance(value, str):
        text = value.strip().lower()
        found = _BOLT_STATES.get(text)
        if found is None and text.endswith("_remote"):
            found = _BOLT_STATES.get(text[: -len("_remote")])
        if found is not None:
            return found
    code = _code(value)
    if code is not None and 0 <= code < len(_BOLT_CODES):
        return _BOLT_CODES[code]
    return BoltState.UNKNOWN


def parse_key_id(value: Any) -> int | None:
    """Read a ``key_local_id``: 0..250 gives the id; 255, null, "", garbage or out of range None."""
    if type(value) is int:
        return value if 0 <= value <= MAX_KEY_ID else None
    number = _code(value)
    if number is None or not 0 <= number <= MAX_KEY_ID:
        return None
    return number


def parse_mac(value: Any) -> str | None:
    """Return a MAC as 12 lower-case hex digits, or ``None`` if it is not one."""
    if not isinstance(value, str):
        return None
    if len(value) == _MAC_DIGITS and _HEX_DIGITS.issuperset(value):
        return value.lower()
    digits = "".join(ch for ch in value if ch not in ":-. \t")
    if len(digits) == _MAC_DIGITS and _HEX_DIGITS.issuperset(digits):
        return digits.lower()
    return None


def _percentage(value: Any) -> int | None:
    number = parse_int(value)
    if number is None or not 0 <= number <= _MAX_PERCENT:
        return None
    return number


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        text = value.strip()
        return text or None
    return None


def _loads(body: bytes | str, what: str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise LoqedResponseError(f"{what} is not JSON") from None


@dataclass(frozen=True, slots=True)
class BridgeStatus:
    """The answer of ``GET /status``, tolerant of missing and oddly typed fields."""

    bolt_state: BoltState
    lock_online: bool
    """``lock_online`` field; without it, ``ble_strength != -1``."""
    battery_percentage: int | None
    """0..100; ``None`` when the lock is offline (-1) or the field is missing."""
    battery_type: BatteryType
    battery_voltage: float | None
    wifi_strength: int | None
    ble_strength: int | None
    """``None`` when -1 (lock not connected) or missing."""
    bridge_mac_wifi: str | None
    """Normalised: 12 lower-case hex digits."""
    bridge_mac_ble: str | None
    ip_address: str | None
    webhooks_number: int | None
    up_timestamp: int | None
    raw: Mapping[str, Any]
    """The decoded object, for diagnostics."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from the decoded ``/status`` object; raise ``LoqedResponseError`` otherwise."""
        if not isinstance(data, Mapping):
            raise LoqedResponseError("status answer is not a JSON object")
        bolt_state = parse_bolt_state(data.get("bolt_state"))
        if bolt_state is BoltState.UNKNOWN and "bolt_state_numeric" in data:
            bolt_state = parse_bolt_state(data.get("bolt_state_numeric"))
        battery_type = parse_battery_type(data.get("battery_type"))
        if battery_type is BatteryType.UNKNOWN and "battery_type_numeric" in data:
            battery_type = parse_battery_type(data.get("battery_type_numeric"))
        raw_ble = parse_int(data.get("ble_strength"))
        online = parse_bool(data.get("lock_online"))
        if online is None:
            online = raw_ble != -1
        return cls(
            bolt_state=bolt_state,
            lock_online=online,
            battery_percentage=_percentage(data.get("battery_percentage")),
            battery_type=battery_type,
            battery_voltage=parse_float(data.get("battery_voltage")),
            wifi_strength=parse_int(data.get("wifi_strength")),
            ble_strength=None if raw_ble == -1 else raw_ble,
            bridge_mac_wifi=parse_mac(data.get("bridge_mac_wifi")),
            bridge_mac_ble=parse_mac(data.get("bridge_mac_ble")),
            ip_address=_text(data.get("ip_address")),
            webhooks_number=parse_int(data.get("webhooks_number")),
            up_timestamp=parse_int(data.get("up_timestamp")),
            raw=dict(data),
        )

    @classmethod
    def from_json(cls, body: bytes | str) -> Self:
        """Build from the raw ``/status`` body, whatever the content type said."""
        return cls.from_dict(_loads(body, "status answer"))


@dataclass(frozen=True, slots=True)
class WebhookRegistration:
    """One webhook registered on the bridge (an element of ``GET /webhooks``)."""

    id: int
    url: str
    triggers: WebhookTrigger

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from one list element; raise ``LoqedResponseError`` if id or url is unusable."""
        if not isinstance(data, Mapping):
            raise LoqedResponseError("webhook registration is not a JSON object")
        webhook_id = parse_int(data.get("id"))
        if webhook_id is None or webhook_id < 0:
            raise LoqedResponseError("webhook registration has no usable id")
        url = data.get("url")
        if not isinstance(url, str):
            raise LoqedResponseError("webhook registration has no url")
        return cls(id=webhook_id, url=url, triggers=WebhookTrigger.from_fields(data))
