"""Bridge answers and the tolerant value parsers."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pytest

from aioloqed import (
    BatteryType,
    BoltState,
    BridgeStatus,
    LoqedResponseError,
    WebhookRegistration,
    WebhookTrigger,
    parse_battery_type,
    parse_bolt_state,
    parse_int,
    parse_key_id,
)
from aioloqed.models import parse_bool, parse_float, parse_mac

if TYPE_CHECKING:
    from collections.abc import Callable

FIXTURES = Path(__file__).parent / "fixtures"


def test_status_fixture() -> None:
    status = BridgeStatus.from_json((FIXTURES / "status_ok.json").read_bytes())
    assert status.bolt_state is BoltState.DAY_LOCK
    assert status.lock_online is True
    assert status.battery_percentage == 78
    assert status.battery_type is BatteryType.NICKEL_METAL_HYDRIDE
    assert status.battery_voltage == pytest.approx(10.37)
    assert (status.wifi_strength, status.ble_strength) == (73, 20)
    assert (status.bridge_mac_wifi, status.bridge_mac_ble) == ("aabbccddeeff", "aabbccddeeaa")
    assert status.ip_address == "192.168.42.12"
    assert status.webhooks_number == 1
    assert status.up_timestamp == 1653041994
    assert status.raw["battery_type_numeric"] == 1


def test_status_with_strings_numbers_and_offline_lock() -> None:
    status = BridgeStatus.from_json((FIXTURES / "status_offline_strings.json").read_text())
    assert status.bolt_state is BoltState.NIGHT_LOCK  # from bolt_state_numeric
    assert status.battery_type is BatteryType.LITHIUM  # from battery_type_numeric
    assert status.battery_percentage is None
    assert status.battery_voltage is None
    assert status.ble_strength is None
    assert status.lock_online is False  # no lock_online field, ble_strength -1
    assert status.wifi_strength == -67
    assert status.bridge_mac_wifi == "aabbccddeeff"
    assert status.bridge_mac_ble is None
    assert status.webhooks_number == 2
    assert status.ip_address is None


def test_truncated_real_status() -> None:
    status = BridgeStatus.from_json(
        b'{"battery_percentage":51,"bolt_state":"night_lock","lock_online":1}'
    )
    assert (status.bolt_state, status.battery_percentage, status.lock_online) == (
        BoltState.NIGHT_LOCK,
        51,
        True,
    )
    assert status.battery_type is BatteryType.UNKNOWN


@pytest.mark.parametrize(
    ("fields", "online"),
    [
        ({"lock_online": 0, "ble_strength": 50}, False),
        ({"lock_online": "1"}, True),
        ({"lock_online": True}, True),
        ({"ble_strength": 40}, True),
        ({"ble_strength": -1}, False),
        ({}, True),
    ],
)
def test_lock_online(fields: dict[str, Any], online: bool) -> None:
    assert BridgeStatus.from_dict(fields).lock_online is online


def test_empty_status_is_all_unknown() -> None:
    status = BridgeStatus.from_dict(MappingProxyType({}))
    assert status.bolt_state is BoltState.UNKNOWN
    assert status.battery_percentage is None
    assert status.raw == {}


@pytest.mark.parametrize("body", [b"<html>login</html>", b"", b"[1,2]", b'"text"', b"null"])
def test_status_that_is_no_object_raises(body: bytes) -> None:
    with pytest.raises(LoqedResponseError, match="status answer"):
        BridgeStatus.from_json(body)


def test_webhook_list_fixture(fixture_json: Callable[[str], Any]) -> None:
    data = fixture_json("get_all_webhooks.json")
    registrations = [WebhookRegistration.from_dict(item) for item in data]
    assert registrations == [WebhookRegistration(1, "http://hook_id", WebhookTrigger.ALL)]


def test_webhook_registration_tolerant_fields() -> None:
    registration = WebhookRegistration.from_dict(
        {"id": "7", "url": "http://x/y", "trigger_battery": "1", "trigger_online_status": 0}
    )
    assert registration == WebhookRegistration(7, "http://x/y", WebhookTrigger.BATTERY)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ([1], "not a JSON object"),
        ({"url": "http://x"}, "no usable id"),
        ({"id": -3, "url": "http://x"}, "no usable id"),
        ({"id": 1}, "no url"),
        ({"id": 1, "url": 5}, "no url"),
    ],
)
def test_unusable_webhook_registration(data: Any, match: str) -> None:
    with pytest.raises(LoqedResponseError, match=match):
        WebhookRegistration.from_dict(data)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (78, 78),
        ("78", 78),
        (" -1 ", -1),
        (78.0, 78),
        (78.9, 78),
        ("78.5", 78),
        ("1e2", 100),
        (None, None),
        ("", None),
        ("abc", None),
        (True, None),
        (False, None),
        (float("nan"), None),
        (float("inf"), None),
        ("inf", None),
        ([1], None),
        ({}, None),
        (BoltState.OPEN, None),
        (WebhookTrigger.BATTERY, 128),
    ],
)
def test_parse_int(value: Any, expected: int | None) -> None:
    assert parse_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10.37, 10.37),
        ("10.37", 10.37),
        (10, 10.0),
        (None, None),
        ("x", None),
        (True, None),
        (float("nan"), None),
        (10**400, None),
        ([], None),
    ],
)
def test_parse_float(value: Any, expected: float | None) -> None:
    assert parse_float(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, True),
        (0, False),
        ("1", True),
        ("0", False),
        ("true", True),
        ("off", False),
        (True, True),
        (None, None),
        ("maybe", None),
    ],
)
def test_parse_bool(value: Any, expected: bool | None) -> None:
    assert parse_bool(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("NICKEL_METAL_HYDRIDE", BatteryType.NICKEL_METAL_HYDRIDE),
        ("nickel_metal_hydride", BatteryType.NICKEL_METAL_HYDRIDE),
        ("NiMH", BatteryType.NICKEL_METAL_HYDRIDE),
        (" Alkaline ", BatteryType.ALKALINE),
        ("LITHIUM", BatteryType.LITHIUM),
        ("UNKNOWN", BatteryType.UNKNOWN),
        (0, BatteryType.ALKALINE),
        (1, BatteryType.NICKEL_METAL_HYDRIDE),
        ("2", BatteryType.LITHIUM),
        (3, BatteryType.UNKNOWN),
        (1.0, BatteryType.NICKEL_METAL_HYDRIDE),
        (1.5, BatteryType.UNKNOWN),
        (4, BatteryType.UNKNOWN),
        (-1, BatteryType.UNKNOWN),
        ("plutonium", BatteryType.UNKNOWN),
        (None, BatteryType.UNKNOWN),
    ],
)
def test_parse_battery_type(value: Any, expected: BatteryType) -> None:
    assert parse_battery_type(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("day_lock", BoltState.DAY_LOCK),
        ("DAY_LOCK", BoltState.DAY_LOCK),
        ("latch", BoltState.DAY_LOCK),
        ("night_lock_remote", BoltState.NIGHT_LOCK),
        ("open", BoltState.OPEN),
        (2, BoltState.DAY_LOCK),
        ("3", BoltState.NIGHT_LOCK),
        (1, BoltState.OPEN),
        (0, BoltState.UNKNOWN),
        (9, BoltState.UNKNOWN),
        ("ajar", BoltState.UNKNOWN),
        ("foo_remote", BoltState.UNKNOWN),
        (None, BoltState.UNKNOWN),
    ],
)
def test_parse_bolt_state(value: Any, expected: BoltState) -> None:
    assert parse_bolt_state(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (9, 9),
        (250, 250),
        ("1", 1),
        (" 3 ", 3),
        (3.0, 3),
        (255, None),
        ("255", None),
        (251, None),
        (-1, None),
        (None, None),
        ("", None),
        ("abc", None),
        (True, None),
        (2.5, None),
        ([], None),
    ],
)
def test_parse_key_id(value: Any, expected: int | None) -> None:
    assert parse_key_id(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("aabbccddeeff", "aabbccddeeff"),
        ("AABBCCDDEEFF", "aabbccddeeff"),
        ("aa:bb:cc:dd:ee:ff", "aabbccddeeff"),
        ("**REDACTED**", None),
        ("0123456789", None),
        ("", None),
        (123, None),
    ],
)
def test_parse_mac(value: Any, expected: str | None) -> None:
    assert parse_mac(value) == expected
