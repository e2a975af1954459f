"""The emulated bridge the library tests talk to: fast motor, no battery reports."""

from __future__ import annotations

from typing import Any

from loqed_emulator import EmulatorConfig


def fast_config(**kwargs: Any) -> EmulatorConfig:
    """An emulator configuration whose lock moves in 20 ms; ``kwargs`` override fields."""
    kwargs.setdefault("motor_time", 0.02)
    kwargs.setdefault("relatch_time", 0.02)
    kwargs.setdefault("battery_interval", 0)
    return EmulatorConfig(**kwargs)
