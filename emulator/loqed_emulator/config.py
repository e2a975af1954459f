"""Configuration of an emulated bridge: identity, keys, timings, start-up faults."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
import ipaddress
import random
import re
import secrets
import time
from typing import TYPE_CHECKING, Final

from loqed_emulator.faults import Faults
from loqed_emulator.lock import BatteryType, BoltState
from loqed_emulator.protocol import MAX_KEY_ID

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_KEY_ID: Final = 1
DEFAULT_MOTOR_TIME: Final = 2.5
DEFAULT_RELATCH_TIME: Final = 3.0
DEFAULT_BATTERY_INTERVAL: Final = 4 * 3600.0
DEFAULT_WEBHOOK_TIMEOUT: Final = 5.0
DEFAULT_MANAGEMENT_WINDOW: Final = 60.0
DEFAULT_COMMAND_WINDOW: Final = 60.0
KEY_BYTES: Final = 32
MIN_KEY_BYTES: Final = 16
MAX_KEY_BYTES: Final = 64
MAX_PORT: Final = 65535
HTTP_PORT: Final = 80
FULL_BATTERY: Final = 100.0
# Espressif OUI, as on the legacy ESP32 bridge (protocol 7).
_MAC_PREFIX: Final = "c44f33"
_MAC_RE: Final = re.compile(r"[0-9a-f]{12}")
_LOCK_ID_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_LOCK_ID_LENGTH: Final = 20
# Addresses that mean "every interface" (recognised, never bound to by default).
WILDCARD_HOSTS: Final = frozenset({"", "0.0.0.0", "::"})  # noqa: S104


class ConfigError(ValueError):
    """A configuration value that cannot work; the message names the setting, never a key."""


def new_key() -> bytes:
    """Return a fresh random 32-byte key."""
    return secrets.token_bytes(KEY_BYTES)


def decode_key(name: str, value: str) -> bytes:
    """Decode a Base64 key given by a person; ConfigError names the setting, not the value."""
    try:
        key = base64.b64decode(value.strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ConfigError(f"{name} is not valid Base64") from None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ConfigError(f"{name} must decode to {MIN_KEY_BYTES}..{MAX_KEY_BYTES} bytes")
    return key


def encode_key(key: bytes) -> str:
    """Return the standard Base64 form of a key."""
    return base64.b64encode(key).decode("ascii")


def normalize_mac(name: str, value: str) -> str:
    """Return 12 lower-case hex digits (separators ``:``, ``-``, ``.`` removed)."""
    mac = re.sub(r"[:\-.]", "", value.strip()).lower()
    if not _MAC_RE.fullmatch(mac):
        raise ConfigError(f"{name} must be 12 hex digits (separators allowed)")
    return mac


def mac_plus(mac: str, offset: int) -> str:
    """Return the MAC address ``offset`` above ``mac`` (the BLE MAC is Wi-Fi + 2, protocol 3)."""
    return f"{(int(mac, 16) + offset) % (1 << 48):012x}"


@dataclass(slots=True)
class EmulatorConfig:
    """Everything an ``EmulatedBridge`` needs; every field has a usable default.

    Keys are random unless given. ``lock_keys`` maps each local key id to its key; the key of
    ``local_key_id`` is the one written to the Integration information.
    """

    host: str = DEFAULT_HOST
    port: int = 0
    control_host: str | None = None  # None: same as host
    control_port: int = 0
    ip_address: str | None = None  # reported in /status; None: host (127.0.0.1 for a wildcard)
    bridge_key: bytes = field(default_factory=new_key, repr=False)
    backend_key: bytes = field(default_factory=new_key, repr=False)
    lock_keys: dict[int, bytes] = field(default_factory=dict, repr=False)
    local_key_id: int | None = None  # None: the first of lock_keys, or 1 with a new key
    lock_id: str | None = None
    mac_wifi: str | None = None
    mac_ble: str | None = None
    name: str = "Front door"
    motor_time: float = DEFAULT_MOTOR_TIME
    relatch_time: float = DEFAULT_RELATCH_TIME
    battery_interval: float = DEFAULT_BATTERY_INTERVAL  # 0: no periodic battery webhooks
    battery_drain: float = 0.2  # percent per periodic report
    battery_percentage: float = 87.0
    battery_type: BatteryType = BatteryType.NICKEL_METAL_HYDRIDE
    bolt_state: BoltState = BoltState.NIGHT_LOCK
    wifi_strength: int = 62
    ble_strength: int = 91
    webhook_timeout: float = DEFAULT_WEBHOOK_TIMEOUT
    management_window: float = DEFAULT_MANAGEMENT_WINDOW
    command_window: float = DEFAULT_COMMAND_WINDOW
    info_file: Path | None = None
    zeroconf: bool = False
    zeroconf_interface: str | None = None
    seed: int | None = None
    faults: Faults = field(default_factory=Faults)
    bridge_down: bool = False
    log_size: int = 200
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Fill in random identity and keys, then check every value."""
        rng = random.Random(self.seed)  # noqa: S311  # identity, not cryptography
        if not self.lock_keys:
            self.lock_keys = {
                DEFAULT_KEY_ID if self.local_key_id is None else self.local_key_id: new_key()
            }
        if self.local_key_id is None:
            self.local_key_id = next(iter(self.lock_keys))
        if self.mac_wifi is None:
            self.mac_wifi = _MAC_PREFIX + f"{rng.getrandbits(24):06x}"
        self.mac_wifi = normalize_mac("mac_wifi", self.mac_wifi)
        self.mac_ble = normalize_mac(
            "mac_ble", self.mac_ble if self.mac_ble is not None else mac_plus(self.mac_wifi, 2)
        )
        if self.lock_id is None:
            self.lock_id = "".join(rng.choice(_LOCK_ID_ALPHABET) for _ in range(_LOCK_ID_LENGTH))
        if self.seed is not None and self.faults.seed is None:
            self.faults = Faults(**{**self.faults.as_dict(), "seed": self.seed})
        self._validate()

    def _validate(self) -> None:
        self._validate_network()
        self._validate_keys()
        self._validate_numbers()

    def _validate_network(self) -> None:
        for port_name, port in (("port", self.port), ("control_port", self.control_port)):
            if not 0 <= port <= MAX_PORT:
                raise ConfigError(f"{port_name} must be 0..{MAX_PORT}")
        if self.ip_address is not None:
            _check_ip("ip_address", self.ip_address)
        if self.zeroconf_interface is not None:
            _check_ip("zeroconf_interface", self.zeroconf_interface)

    def _validate_keys(self) -> None:
        for key_id, key in self.lock_keys.items():
            if not 0 <= key_id <= MAX_KEY_ID:
                raise ConfigError(f"lock key id {key_id} must be 0..{MAX_KEY_ID}")
            _check_key_length(f"lock key {key_id}", key)
        if self.local_key_id not in self.lock_keys:
            raise ConfigError(f"local_key_id {self.local_key_id} has no lock key")
        _check_key_length("bridge_key", self.bridge_key)
        _check_key_length("backend_key", self.backend_key)

    def _validate_numbers(self) -> None:
        for name, seconds in (
            ("motor_time", self.motor_time),
            ("relatch_time", self.relatch_time),
            ("battery_interval", self.battery_interval),
            ("webhook_timeout", self.webhook_timeout),
            ("management_window", self.management_window),
            ("command_window", self.command_window),
        ):
            if not seconds >= 0:
                raise ConfigError(f"{name} must be >= 0 seconds")
        if self.bolt_state is BoltState.OPEN:
            raise ConfigError("bolt_state at start must not be open (the latch would never fall)")
        if not 0 <= self.battery_percentage <= FULL_BATTERY:
            raise ConfigError(f"battery_percentage must be 0..{FULL_BATTERY:g}")

    @property
    def primary_key_id(self) -> int:
        """The local key id written to the Integration information."""
        if self.local_key_id is None:  # pragma: no cover - set in __post_init__
            raise RuntimeError("local_key_id not set")
        return self.local_key_id

    @property
    def reported_ip(self) -> str:
        """The IP address the bridge reports (``ip_address`` in /status)."""
        if self.ip_address is not None:
            return self.ip_address
        return DEFAULT_HOST if self.host in WILDCARD_HOSTS else self.host

    @property
    def mdns_hostname(self) -> str:
        """``LOQED-<wifi mac>.local`` (protocol 7)."""
        return f"LOQED-{self.mac_wifi}.local"


def _check_key_length(name: str, key: bytes) -> None:
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ConfigError(f"{name} must be {MIN_KEY_BYTES}..{MAX_KEY_BYTES} bytes")


def _check_ip(name: str, value: str) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ConfigError(f"{name} must be an IP address") from None


def parse_key_spec(value: str) -> tuple[int, bytes]:
    """Parse ``ID:BASE64`` (the ``--key`` flag)."""
    key_id_text, separator, key_text = value.partition(":")
    if not separator:
        raise ConfigError("--key must look like ID:BASE64")
    try:
        key_id = int(key_id_text)
    except ValueError:
        raise ConfigError("--key id must be an integer") from None
    if not 0 <= key_id <= MAX_KEY_ID:
        raise ConfigError(f"--key id must be 0..{MAX_KEY_ID}")
    return key_id, decode_key(f"--key {key_id}", key_text)


def integration_information(config: EmulatorConfig, port: int) -> dict[str, object]:
    """Return the "Integration information" (protocol 6.2) for a bridge listening on ``port``.

    ``bridge_ip`` carries ``:port`` when the port is not 80, the one deviation from the real form.
    """
    host = config.reported_ip
    if ":" in host:
        host = f"[{host}]"
    return {
        "lock_id": config.lock_id,
        "lock_key_local_id": config.primary_key_id,
        "lock_key_key": encode_key(config.lock_keys[config.primary_key_id]),
        "backend_key": encode_key(config.backend_key),
        "bridge_key": encode_key(config.bridge_key),
        "bridge_ip": host if port == HTTP_PORT else f"{host}:{port}",
        "bridge_mdns_hostname": config.mdns_hostname,
    }
