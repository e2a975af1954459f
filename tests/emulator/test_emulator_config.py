"""Configuration: defaults, validation, identity and the Integration information."""

from __future__ import annotations

import base64
import json
import stat
from typing import TYPE_CHECKING

import pytest
from tests.emulator.helpers import BRIDGE_KEY, LOCK_KEY, fast_config

from loqed_emulator import ConfigError, EmulatedBridge, EmulatorConfig
from loqed_emulator.config import (
    decode_key,
    integration_information,
    mac_plus,
    normalize_mac,
    parse_key_spec,
)

if TYPE_CHECKING:
    from pathlib import Path

    from tests.emulator.conftest import BridgeFactory


def test_defaults_are_random_and_complete() -> None:
    config = EmulatorConfig()
    other = EmulatorConfig()
    assert config.primary_key_id == 1
    assert len(config.lock_keys[1]) == 32
    assert config.lock_keys[1] != other.lock_keys[1]
    assert config.bridge_key != other.bridge_key
    assert config.mac_wifi is not None
    assert config.mac_wifi.startswith("c44f33")
    assert config.mac_ble == mac_plus(config.mac_wifi, 2)
    assert config.lock_id is not None
    assert len(config.lock_id) == 20
    assert config.mdns_hostname == f"LOQED-{config.mac_wifi}.local"
    assert "key" not in repr(config).replace("local_key_id", "")


def test_seed_fixes_identity_not_keys() -> None:
    first, second = EmulatorConfig(seed=3), EmulatorConfig(seed=3)
    assert (first.mac_wifi, first.lock_id) == (second.mac_wifi, second.lock_id)
    assert first.bridge_key != second.bridge_key
    assert first.faults.seed == 3


def test_local_key_id_alone_gets_a_key() -> None:
    config = EmulatorConfig(local_key_id=9)
    assert list(config.lock_keys) == [9]


def test_mac_forms() -> None:
    assert normalize_mac("m", "AA:BB:cc-dd.EE:ff") == "aabbccddeeff"
    assert mac_plus("ffffffffffff", 2) == "000000000001"
    config = EmulatorConfig(mac_wifi="AA:BB:CC:DD:EE:FF", mac_ble="aa-bb-cc-dd-ee-00")
    assert (config.mac_wifi, config.mac_ble) == ("aabbccddeeff", "aabbccddee00")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"port": 70000}, "port must be 0..65535"),
        ({"control_port": -1}, "control_port must be"),
        ({"lock_keys": {251: LOCK_KEY}}, "lock key id 251 must be 0..250"),
        ({"lock_keys": {1: b"short"}}, "lock key 1 must be 16..64 bytes"),
        ({"lock_keys": {1: LOCK_KEY}, "local_key_id": 2}, "local_key_id 2 has no lock key"),
        ({"bridge_key": bytes(8)}, "bridge_key must be"),
        ({"motor_time": -1}, "motor_time must be >= 0"),
        ({"relatch_time": float("nan")}, "relatch_time must be >= 0"),
        ({"battery_percentage": 120}, "battery_percentage must be 0..100"),
        ({"ip_address": "bridge.local"}, "ip_address must be an IP address"),
        ({"zeroconf_interface": "eth0"}, "zeroconf_interface must be an IP address"),
        ({"mac_wifi": "xyz"}, "mac_wifi must be 12 hex digits"),
    ],
)
def test_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EmulatorConfig(**kwargs)  # type: ignore[arg-type]


def test_key_specs() -> None:
    assert parse_key_spec(f"7:{base64.b64encode(LOCK_KEY).decode()}") == (7, LOCK_KEY)
    for spec, message in [
        ("7", "--key must look like ID:BASE64"),
        ("x:AAAA", "--key id must be an integer"),
        ("300:AAAA", "--key id must be 0..250"),
        ("3:!!!", "--key 3 is not valid Base64"),
        ("3:AAAA", "--key 3 must decode to 16..64 bytes"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_key_spec(spec)
    secret = base64.b64encode(bytes(range(40, 72))).decode()
    with pytest.raises(ConfigError) as caught:
        decode_key("--bridge-key", secret[:-3] + "!!=")
    assert secret[:10] not in str(caught.value)


def test_integration_information_forms() -> None:
    config = fast_config(lock_id="abc", backend_key=bytes(range(16)))
    info = integration_information(config, 80)
    assert info == {
        "lock_id": "abc",
        "lock_key_local_id": 5,
        "lock_key_key": base64.b64encode(LOCK_KEY).decode(),
        "backend_key": base64.b64encode(bytes(range(16))).decode(),
        "bridge_key": base64.b64encode(BRIDGE_KEY).decode(),
        "bridge_ip": "127.0.0.1",
        "bridge_mdns_hostname": "LOQED-aabbccddeeff.local",
    }
    assert integration_information(config, 8080)["bridge_ip"] == "127.0.0.1:8080"
    assert integration_information(fast_config(ip_address="::1"), 8080)["bridge_ip"] == "[::1]:8080"
    assert integration_information(fast_config(ip_address="::1"), 80)["bridge_ip"] == "[::1]"


async def test_info_file_is_written_private(make_bridge: BridgeFactory, tmp_path: Path) -> None:
    path = tmp_path / "info.json"
    bridge = await make_bridge(info_file=path)
    data = json.loads(path.read_text())
    assert data == bridge.integration_information
    assert data["bridge_ip"] == f"127.0.0.1:{bridge.port}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "lock_key" not in repr(bridge)
    assert base64.b64encode(LOCK_KEY).decode() not in repr(bridge)


def test_wildcard_host_reports_the_configured_ip() -> None:
    # Not started: tests never listen beyond loopback.
    bridge = EmulatedBridge(fast_config(host="0.0.0.0", port=8080, ip_address="192.0.2.7"))  # noqa: S104
    assert bridge.url == "http://192.0.2.7:8080"
    assert bridge.status()["ip_address"] == "192.0.2.7"
    assert EmulatorConfig(host="0.0.0.0").reported_ip == "127.0.0.1"  # noqa: S104
    assert EmulatedBridge(fast_config(host="::1", port=81)).url == "http://[::1]:81"


async def test_start_failure_cleans_up(make_bridge: BridgeFactory) -> None:
    first = await make_bridge()
    second = EmulatedBridge(fast_config(port=first.port))
    with pytest.raises(OSError, match="address already in use"):
        await second.start()
    await second.stop()  # not started: nothing to do


async def test_start_twice_is_harmless(bridge: EmulatedBridge) -> None:
    port = bridge.port
    await bridge.start()
    assert bridge.port == port


async def test_context_manager(socket_enabled: None) -> None:
    async with EmulatedBridge(fast_config()) as bridge:
        assert bridge.port != 0
        assert bridge.control_port != 0
    assert bridge.dispatcher.pending == 0


def test_info_file_write_failure_leaves_no_temporary(tmp_path: Path) -> None:
    from loqed_emulator.bridge import write_private_json

    with pytest.raises(TypeError):
        write_private_json(tmp_path / "info.json", {"key": object()})
    assert list(tmp_path.iterdir()) == []
