"""The entry's options as typed values, and the key-names text format (pure functions).

Key names are typed one per line as ``<key id>=<name>``, for example ``3=Anna's phone``. They are
stored as ``{"3": "Anna's phone"}`` (JSON object keys are strings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aioloqed import MAX_KEY_ID

from .const import (
    CONF_CALLBACK_URL,
    CONF_FALLBACK_POLL_SECONDS,
    CONF_HANDLE_OUTSIDE,
    CONF_HEALTHY_POLL_MINUTES,
    CONF_KEY_NAMES,
    CONF_TIMESTAMP_WINDOW,
    DEFAULT_TIMESTAMP_WINDOW,
    FALLBACK_POLL_INTERVAL,
    HEALTHY_POLL_INTERVAL,
    MAX_FALLBACK_POLL_SECONDS,
    MAX_HEALTHY_POLL_MINUTES,
    MAX_KEY_NAME_LENGTH,
    MAX_TIMESTAMP_WINDOW,
    MIN_FALLBACK_POLL_SECONDS,
    MIN_HEALTHY_POLL_MINUTES,
    MIN_TIMESTAMP_WINDOW,
)

if TYPE_CHECKING:
    from collections.abc import Mapping


class KeyNamesError(ValueError):
    """A line of the key-names text that cannot be used.

    ``error`` is the options-flow error key, ``line`` the 1-based line number.
    """

    def __init__(self, error: str, line: int) -> None:
        """Store the error key and the line it is about."""
        super().__init__(f"{error} on line {line}")
        self.error = error
        self.line = line


def parse_key_names(text: str) -> dict[int, str]:
    """Read ``<id>=<name>`` lines; empty lines are skipped.

    Raises :class:`KeyNamesError` with ``key_names_format`` (no ``=`` or no name),
    ``key_names_id`` (not a whole number from 0 to 250), ``key_names_too_long`` or
    ``key_names_duplicate``.
    """
    names: dict[int, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        key, sep, name = line.partition("=")
        key, name = key.strip(), " ".join(name.split())
        if not sep or not key or not name:
            raise KeyNamesError("key_names_format", number)
        if not key.isdecimal() or not 0 <= int(key) <= MAX_KEY_ID:
            raise KeyNamesError("key_names_id", number)
        if len(name) > MAX_KEY_NAME_LENGTH:
            raise KeyNamesError("key_names_too_long", number)
        if int(key) in names:
            raise KeyNamesError("key_names_duplicate", number)
        names[int(key)] = name
    return names


def format_key_names(names: Mapping[int, str]) -> str:
    """Write key names as the text the options form shows, sorted by key id."""
    return "\n".join(f"{key}={name}" for key, name in sorted(names.items()))


def _bounded(value: Any, default: int, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return min(max(number, low), high)


def _stored_names(value: Any) -> dict[int, str]:
    if not isinstance(value, dict):
        return {}
    names: dict[int, str] = {}
    for key, name in value.items():
        if str(key).isdecimal() and isinstance(name, str) and name:
            names[int(key)] = name
    return names


@dataclass(frozen=True, slots=True)
class LoqedOptions:
    """What the options say, with defaults and values clamped to their bounds."""

    callback_url: str | None = None
    timestamp_window: int = DEFAULT_TIMESTAMP_WINDOW
    healthy_interval: timedelta = HEALTHY_POLL_INTERVAL
    fallback_interval: timedelta = FALLBACK_POLL_INTERVAL
    handle_outside: bool = False
    key_names: Mapping[int, str] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> LoqedOptions:
        """Read ``entry.options``; anything missing or broken falls back to its default."""
        healthy = _bounded(
            options.get(CONF_HEALTHY_POLL_MINUTES),
            int(HEALTHY_POLL_INTERVAL.total_seconds() // 60),
            MIN_HEALTHY_POLL_MINUTES,
            MAX_HEALTHY_POLL_MINUTES,
        )
        fallback = _bounded(
            options.get(CONF_FALLBACK_POLL_SECONDS),
            int(FALLBACK_POLL_INTERVAL.total_seconds()),
            MIN_FALLBACK_POLL_SECONDS,
            MAX_FALLBACK_POLL_SECONDS,
        )
        return cls(
            callback_url=str(options.get(CONF_CALLBACK_URL) or "") or None,
            timestamp_window=_bounded(
                options.get(CONF_TIMESTAMP_WINDOW),
                DEFAULT_TIMESTAMP_WINDOW,
                MIN_TIMESTAMP_WINDOW,
                MAX_TIMESTAMP_WINDOW,
            ),
            healthy_interval=timedelta(minutes=healthy),
            fallback_interval=timedelta(seconds=fallback),
            handle_outside=options.get(CONF_HANDLE_OUTSIDE) is True,
            key_names=_stored_names(options.get(CONF_KEY_NAMES)),
        )
