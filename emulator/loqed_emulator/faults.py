"""Fault switches: what can go wrong between a client, the bridge and the lock.

``Faults`` holds the switches that are plain values; the bridge owns the two that need I/O
(``bridge_down`` and the reboot). ``parse_fault_changes`` validates an update from the control API
or the command line before anything changes, so a bad update changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
import random
from typing import TYPE_CHECKING, Any, Final, Literal, get_args

if TYPE_CHECKING:
    from collections.abc import Mapping

ContentType = Literal["html", "json"]
CONTENT_TYPES: Final[dict[str, str]] = {"html": "text/html", "json": "application/json"}

MAX_LATENCY_MS: Final = 120_000.0
MAX_CLOCK_OFFSET: Final = 10 * 365 * 24 * 3600.0
MAX_LOSE_NEXT: Final = 1_000_000


class FaultError(ValueError):
    """A fault update that names an unknown switch or carries a bad value."""


@dataclass(slots=True)
class Faults:
    """The value-like fault switches; see docs/emulator.md for each one."""

    latency_ms: float = 0.0
    lose_next_webhooks: int = 0
    webhook_loss_rate: float = 0.0
    clock_offset: float = 0.0
    unsigned_webhooks: bool = False
    content_type: ContentType = "html"
    malformed_json: bool = False
    http_500: bool = False
    motor_stall_next: bool = False
    seed: int | None = None
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Seed the loss generator (a fixed seed gives a repeatable loss pattern)."""
        self._rng = random.Random(self.seed)  # noqa: S311  # simulation, not cryptography

    def consume_webhook_loss(self) -> bool:
        """Say whether the next webhook delivery is to be lost (counts ``lose_next_webhooks``)."""
        if self.lose_next_webhooks > 0:
            self.lose_next_webhooks -= 1
            return True
        return self.webhook_loss_rate > 0 and self._rng.random() < self.webhook_loss_rate

    def consume_motor_stall(self) -> bool:
        """Say whether the next motor run stalls (the switch resets itself)."""
        stall, self.motor_stall_next = self.motor_stall_next, False
        return stall

    @property
    def response_content_type(self) -> str:
        """Content-Type of the bridge's answers."""
        return CONTENT_TYPES[self.content_type]

    def apply(self, changes: Mapping[str, Any]) -> None:
        """Apply changes already validated by ``parse_fault_changes`` (``bridge_down`` skipped)."""
        for name, value in changes.items():
            if name != "bridge_down":
                setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        """Return the switches as JSON-ready values."""
        return {item.name: getattr(self, item.name) for item in fields(self) if item.init}


def _number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultError(f"{name} must be a number")
    if not low <= value <= high:
        raise FaultError(f"{name} must be between {low:g} and {high:g}")
    return float(value)


def _integer(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FaultError(f"{name} must be an integer")
    if not low <= value <= high:
        raise FaultError(f"{name} must be between {low} and {high}")
    return value


def _boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise FaultError(f"{name} must be true or false")
    return value


def _content_type(name: str, value: Any) -> ContentType:
    if value == "html":
        return "html"
    if value == "json":
        return "json"
    raise FaultError(f"{name} must be one of {', '.join(get_args(ContentType))}")


_BOOLEAN_SWITCHES: Final = frozenset(
    {"unsigned_webhooks", "malformed_json", "http_500", "motor_stall_next", "bridge_down"}
)


def _parse_one(name: str, value: Any) -> Any:
    if name in _BOOLEAN_SWITCHES:
        return _boolean(name, value)
    if name == "latency_ms":
        return _number(name, value, 0.0, MAX_LATENCY_MS)
    if name == "lose_next_webhooks":
        return _integer(name, value, 0, MAX_LOSE_NEXT)
    if name == "webhook_loss_rate":
        return _number(name, value, 0.0, 1.0)
    if name == "clock_offset":
        return _number(name, value, -MAX_CLOCK_OFFSET, MAX_CLOCK_OFFSET)
    if name == "content_type":
        return _content_type(name, value)
    known = ", ".join(sorted({*_BOOLEAN_SWITCHES, *_OTHER_SWITCHES}))
    raise FaultError(f"unknown fault {name!r}; known faults: {known}")


_OTHER_SWITCHES: Final = frozenset(
    {"latency_ms", "lose_next_webhooks", "webhook_loss_rate", "clock_offset", "content_type"}
)
FAULT_NAMES: Final = frozenset(_BOOLEAN_SWITCHES | _OTHER_SWITCHES)


def parse_fault_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Validate every change; raise FaultError on the first bad one, before anything changes."""
    return {name: _parse_one(name, value) for name, value in changes.items()}
