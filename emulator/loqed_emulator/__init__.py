"""A LOQED bridge you can run: the local HTTP API, a lock, signed webhooks and fault switches.

Start it with ``python -m loqed_emulator`` or in-process with ``EmulatedBridge``. It implements the
protocol from docs/protocol.md on its own and never imports ``aioloqed``.
"""

from loqed_emulator.bridge import EmulatedBridge, EventRecord, IgnoredCommand
from loqed_emulator.config import ConfigError, EmulatorConfig
from loqed_emulator.faults import FaultError, Faults
from loqed_emulator.lock import BatteryType, BoltState, Source
from loqed_emulator.protocol import Action
from loqed_emulator.webhooks import Delivery, Registration

__all__ = [
    "Action",
    "BatteryType",
    "BoltState",
    "ConfigError",
    "Delivery",
    "EmulatedBridge",
    "EmulatorConfig",
    "EventRecord",
    "FaultError",
    "Faults",
    "IgnoredCommand",
    "Registration",
    "Source",
]
