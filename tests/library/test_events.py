"""Typed webhook events: the four payload families, tolerant parsing, unknown values."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypothesis import given, settings, strategies as st
import orjson
import pytest

from aioloqed import (
    BatteryEvent,
    BatteryType,
    BoltState,
    EventSource,
    GoingToStateEvent,
    LoqedEvent,
    LoqedResponseError,
    OnlineStatusEvent,
    StateReachedEvent,
    UnknownEvent,
    parse_event,
    parse_event_json,
    source_of,
)
from aioloqed.events import EVENT_TABLE

if TYPE_CHECKING:
    from collections.abc import Callable

WEBHOOKS = Path(__file__).parent / "fixtures" / "webhooks"
MACS = {"mac_wifi": "aabbccddeeff", "mac_ble": "aabbccddef01"}


def _load(name: str) -> LoqedEvent:
    return parse_event_json((WEBHOOKS / name).read_bytes())


# event_type -> (expected state or target, expected source with a key)
GOING_TO = {
    "GO_TO_STATE_INSTANTOPEN_OPEN": (BoltState.OPEN, EventSource.TOUCH_TO_OPEN),
    "GO_TO_STATE_INSTANTOPEN_LATCH": (BoltState.DAY_LOCK, EventSource.AUTO_UNLOCK),
    "GO_TO_STATE_MANUAL_UNLOCK_BLE_OPEN": (BoltState.OPEN, EventSource.APP_BLE),
    "GO_TO_STATE_MANUAL_LOCK_BLE_LATCH": (BoltState.DAY_LOCK, EventSource.APP_BLE),
    "GO_TO_STATE_MANUAL_LOCK_BLE_NIGHT_LOCK": (BoltState.NIGHT_LOCK, EventSource.APP_BLE),
    "GO_TO_STATE_TWIST_ASSIST_OPEN": (BoltState.OPEN, EventSource.TWIST_ASSIST),
    "GO_TO_STATE_TWIST_ASSIST_LATCH": (BoltState.DAY_LOCK, EventSource.TWIST_ASSIST),
    "GO_TO_STATE_TWIST_ASSIST_LOCK": (BoltState.NIGHT_LOCK, EventSource.TWIST_ASSIST),
    "GO_TO_STATE_MANUAL_UNLOCK_VIA_OUTSIDE_MODULE_PIN": (BoltState.OPEN, EventSource.KEYPAD_PIN),
    "GO_TO_STATE_MANUAL_UNLOCK_VIA_OUTSIDE_MODULE_BUTTON": (
        BoltState.OPEN,
        EventSource.OUTSIDE_BUTTON,
    ),
    "GO_TO_STATE_TOUCH_TO_LOCK": (BoltState.NIGHT_LOCK, EventSource.TOUCH_TO_LOCK),
    "GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN": (BoltState.OPEN, EventSource.REMOTE),
    "GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH": (BoltState.DAY_LOCK, EventSource.REMOTE),
    "GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK": (BoltState.NIGHT_LOCK, EventSource.REMOTE),
}
REACHED = {
    "STATE_CHANGED_OPEN": (BoltState.OPEN, EventSource.UNKNOWN),
    "STATE_CHANGED_LATCH": (BoltState.DAY_LOCK, EventSource.UNKNOWN),
    "STATE_CHANGED_NIGHT_LOCK": (BoltState.NIGHT_LOCK, EventSource.UNKNOWN),
    "STATE_CHANGED_UNKNOWN": (BoltState.UNKNOWN, EventSource.UNKNOWN),
    "MOTOR_STALL": (BoltState.UNKNOWN, EventSource.UNKNOWN),
    "STATE_CHANGED_OPEN_REMOTE": (BoltState.OPEN, EventSource.REMOTE),
    "STATE_CHANGED_LATCH_REMOTE": (BoltState.DAY_LOCK, EventSource.REMOTE),
    "STATE_CHANGED_NIGHT_LOCK_REMOTE": (BoltState.NIGHT_LOCK, EventSource.REMOTE),
}


def test_table_covers_exactly_the_documented_event_types() -> None:
    assert set(EVENT_TABLE) == set(GOING_TO) | set(REACHED)


@pytest.mark.parametrize(("event_type", "expected"), GOING_TO.items())
def test_every_going_to_event_type(
    event_type: str, expected: tuple[BoltState, EventSource]
) -> None:
    # go_to_state deliberately absent: the target must follow from the event type
    event = parse_event({"event_type": event_type, "key_local_id": 3, **MACS})
    assert isinstance(event, GoingToStateEvent)
    assert (event.target, event.source, event.key_id) == (*expected, 3)
    assert event.event_type == event_type
    assert source_of(event_type, 3) is expected[1]
    assert source_of(event_type, None) is expected[1]


@pytest.mark.parametrize(("event_type", "expected"), REACHED.items())
def test_every_reached_event_type(event_type: str, expected: tuple[BoltState, EventSource]) -> None:
    event = parse_event({"event_type": event_type, "key_local_id": 3, **MACS})
    assert isinstance(event, StateReachedEvent)
    assert (event.state, event.source, event.key_id) == (*expected, 3)
    assert event.motor_stall is (event_type == "MOTOR_STALL")
    assert source_of(event_type, 3) is expected[1]


@pytest.mark.parametrize(
    ("event_type", "source"),
    [
        ("STATE_CHANGED_LATCH", EventSource.MANUAL),
        ("STATE_CHANGED_LATCH_REMOTE", EventSource.REMOTE),
        ("GO_TO_STATE_TWIST_ASSIST_LATCH", EventSource.TWIST_ASSIST),
        ("GO_TO_STATE_SOMETHING_NEW_LATCH", EventSource.UNKNOWN),
        ("WHATEVER", EventSource.MANUAL),
    ],
)
def test_source_without_key(event_type: str, source: EventSource) -> None:
    assert source_of(event_type, None) is source


def test_real_reached_payload(fixture_bytes: Callable[[str], bytes]) -> None:
    event = parse_event_json(fixture_bytes("webhooks/reached_night_lock.json"))
    assert (event.mac_wifi, event.mac_ble) == ("c44f3357c161", "c44f3357c163")
    assert event == StateReachedEvent(
        raw=event.raw,
        event_type="STATE_CHANGED_NIGHT_LOCK",
        state=BoltState.NIGHT_LOCK,
        requested_state=BoltState.NIGHT_LOCK,
        key_id=9,
        source=EventSource.UNKNOWN,
        motor_stall=False,
    )
    assert event.raw["requested_state_numeric"] == 3


def test_state_comes_from_event_type_not_requested_state() -> None:
    event = _load("nightlock_reached.json")
    assert isinstance(event, StateReachedEvent)
    assert event.state is BoltState.DAY_LOCK
    assert event.requested_state is BoltState.NIGHT_LOCK
    assert event.key_id is None
    assert event.source is EventSource.MANUAL
    assert event.mac_wifi is None  # "**REDACTED**" is no MAC


def test_motor_stall_payload() -> None:
    event = _load("motor_stall.json")
    assert isinstance(event, StateReachedEvent)
    assert event.motor_stall
    assert event.state is BoltState.UNKNOWN
    assert event.key_id == 1


def test_go_to_state_field_wins_over_event_type() -> None:
    event = _load("lock_going_to_nightlock.json")
    assert isinstance(event, GoingToStateEvent)
    assert event.target is BoltState.NIGHT_LOCK
    assert event.source is EventSource.TWIST_ASSIST
    assert event.key_id is None
    daylock = _load("lock_going_to_daylock.json")
    assert isinstance(daylock, GoingToStateEvent)
    assert daylock.target is BoltState.DAY_LOCK


def test_go_to_state_numeric_is_used_when_name_missing() -> None:
    event = parse_event({"event_type": "GO_TO_STATE_FUTURE_THING", "go_to_state_numeric": "3"})
    assert isinstance(event, GoingToStateEvent)
    assert event.target is BoltState.NIGHT_LOCK


def test_remote_open_payload() -> None:
    event = _load("going_to_open_remote.json")
    assert isinstance(event, GoingToStateEvent)
    assert (event.target, event.key_id, event.source) == (BoltState.OPEN, 0, EventSource.REMOTE)
    assert event.mac_wifi is None  # anonymised ten-digit value in the source


@pytest.mark.parametrize(
    ("event_type", "target", "source"),
    [
        ("GO_TO_STATE_MANUAL_LOCK_BLE_DAY_LOCK", BoltState.DAY_LOCK, EventSource.APP_BLE),
        ("GO_TO_STATE_NEW_REMOTE_NIGHT_LOCK", BoltState.NIGHT_LOCK, EventSource.REMOTE),
        ("GO_TO_STATE_FANCY_OPEN", BoltState.OPEN, EventSource.UNKNOWN),
        ("GO_TO_STATE_TWIST_ASSIST_NIGHT_LOCK", BoltState.NIGHT_LOCK, EventSource.TWIST_ASSIST),
        ("go_to_state_instantopen_open_v2", BoltState.UNKNOWN, EventSource.TOUCH_TO_OPEN),
    ],
)
def test_unknown_going_to_values_are_understood_from_their_names(
    event_type: str, target: BoltState, source: EventSource
) -> None:
    event = parse_event({"event_type": event_type, "key_local_id": 2})
    if target is BoltState.UNKNOWN:
        assert isinstance(event, UnknownEvent)
        assert event.event_type == event_type.upper()
        assert source_of(event_type, 2) is source
        return
    assert isinstance(event, GoingToStateEvent)
    assert (event.target, event.source) == (target, source)


@pytest.mark.parametrize(
    ("event_type", "state", "source"),
    [
        ("STATE_CHANGED_DAY_LOCK", BoltState.DAY_LOCK, EventSource.UNKNOWN),
        ("STATE_CHANGED_DAY_LOCK_REMOTE", BoltState.DAY_LOCK, EventSource.REMOTE),
        ("state_changed_open", BoltState.OPEN, EventSource.UNKNOWN),
    ],
)
def test_unknown_state_changed_values(
    event_type: str, state: BoltState, source: EventSource
) -> None:
    event = parse_event({"event_type": f"  {event_type} ", "key_local_id": 2})
    assert isinstance(event, StateReachedEvent)
    assert (event.state, event.source) == (state, source)
    assert event.event_type == event_type.upper()


@pytest.mark.parametrize(
    "event_type", ["STATE_CHANGED_SIDEWAYS", "DOOR_BELL", "STATE_CHANGED_", "GO_TO_STATE_"]
)
def test_not_understood_event_types_are_kept(event_type: str) -> None:
    event = parse_event({"event_type": event_type, **MACS})
    assert isinstance(event, UnknownEvent)
    assert event.event_type == event_type
    assert event.mac_wifi == "aabbccddeeff"


def test_non_string_event_type_is_kept() -> None:
    event = parse_event({"event_type": 7})
    assert isinstance(event, UnknownEvent)
    assert event.event_type == "7"


@pytest.mark.parametrize(
    ("key", "expected"),
    [(255, None), ("255", None), (None, None), ("", None), ("1", 1), (0, 0), ("x", None)],
)
def test_key_id_forms(key: Any, expected: int | None) -> None:
    event = parse_event({"event_type": "STATE_CHANGED_LATCH", "key_local_id": key})
    assert isinstance(event, StateReachedEvent)
    assert event.key_id == expected
    assert event.source is (EventSource.MANUAL if expected is None else EventSource.UNKNOWN)


def test_missing_key_id_is_no_key() -> None:
    event = parse_event({"event_type": "STATE_CHANGED_LATCH"})
    assert isinstance(event, StateReachedEvent)
    assert event.key_id is None
    assert event.requested_state is BoltState.UNKNOWN


def test_requested_state_numeric_fallback() -> None:
    event = parse_event({"event_type": "STATE_CHANGED_OPEN", "requested_state_numeric": 1})
    assert isinstance(event, StateReachedEvent)
    assert event.requested_state is BoltState.OPEN


def test_cloud_style_payloads() -> None:
    with_key = _load("cloud_style_string_key.json")
    assert isinstance(with_key, StateReachedEvent)
    assert with_key.key_id == 1
    without = _load("cloud_style_empty_key.json")
    assert isinstance(without, StateReachedEvent)
    assert without.key_id is None


@pytest.mark.parametrize(
    ("name", "battery_type", "percentage"),
    [
        ("battery_update.json", BatteryType.NICKEL_METAL_HYDRIDE, 88),
        ("battery_doc_example.json", BatteryType.UNKNOWN, 100),
    ],
)
def test_battery_payloads(name: str, battery_type: BatteryType, percentage: int) -> None:
    event = _load(name)
    assert isinstance(event, BatteryEvent)
    assert (event.battery_type, event.battery_percentage) == (battery_type, percentage)


@pytest.mark.parametrize(
    ("fields", "battery_type", "percentage"),
    [
        ({"battery_type": 1, "battery_percentage": "55"}, BatteryType.NICKEL_METAL_HYDRIDE, 55),
        ({"battery_type": "2", "battery_percentage": -1}, BatteryType.LITHIUM, None),
        ({"battery_type": "lithium"}, BatteryType.LITHIUM, None),
        ({"battery_percentage": 250}, BatteryType.UNKNOWN, None),
    ],
)
def test_battery_tolerance(
    fields: dict[str, Any], battery_type: BatteryType, percentage: Any
) -> None:
    event = parse_event(fields)
    assert isinstance(event, BatteryEvent)
    assert (event.battery_type, event.battery_percentage) == (battery_type, percentage)


def test_an_event_without_macs_has_none() -> None:
    event = parse_event({"event_type": "STATE_CHANGED_OPEN", "mac_wifi": "not a mac"})
    assert (event.mac_wifi, event.mac_ble) == (None, None)


def test_online_status_doc_example() -> None:
    event = _load("online_status_doc_example.json")
    assert (event.mac_wifi, event.mac_ble) == (None, None)
    assert event == OnlineStatusEvent(
        raw=event.raw,
        wifi_strength=-24,
        ble_strength=-59,
        lock_online=True,
    )


@pytest.mark.parametrize(
    ("fields", "ble", "online"),
    [
        ({"wifi_strength": 30, "ble_strength": -1}, None, False),
        ({"wifi_strength": "30", "ble_strength": "90"}, 90, True),
        ({"wifi_strength": 30}, None, True),
        ({"ble_strength": 80, "online": 0}, 80, False),
        ({"ble_strength": -1, "lock_online": "1"}, None, True),
    ],
)
def test_online_status_tolerance(fields: dict[str, Any], ble: int | None, online: bool) -> None:
    event = parse_event(fields)
    assert isinstance(event, OnlineStatusEvent)
    assert (event.ble_strength, event.lock_online) == (ble, online)


@pytest.mark.parametrize("data", [{}, {"mac_wifi": "aabbccddeeff"}, {"event_type": ""}, {"x": 1}])
def test_payload_without_family_is_unknown(data: dict[str, Any]) -> None:
    event = parse_event(data)
    assert isinstance(event, UnknownEvent)
    assert event.event_type is None


@pytest.mark.parametrize("body", [b"", b"not json", b"[1]", b"null", '"x"'])
def test_parse_event_json_rejects_non_objects(body: bytes | str) -> None:
    with pytest.raises(LoqedResponseError, match="not a JSON object"):
        parse_event_json(body)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
KNOWN_KEYS = st.sampled_from(
    [
        "event_type",
        "key_local_id",
        "go_to_state",
        "go_to_state_numeric",
        "requested_state",
        "requested_state_numeric",
        "battery_type",
        "battery_percentage",
        "wifi_strength",
        "ble_strength",
        "mac_wifi",
        "mac_ble",
        "lock_online",
        "online",
    ]
)
EVENT_TYPES = st.sampled_from([*EVENT_TABLE, "GO_TO_STATE_X", "STATE_CHANGED_X", "NOPE"])


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        KNOWN_KEYS | st.text(max_size=12),
        JSON_VALUES | EVENT_TYPES,
        max_size=8,
    )
)
def test_parse_event_never_raises(data: dict[str, Any]) -> None:
    event = parse_event(data)
    assert isinstance(event, LoqedEvent)
    assert event.raw is data


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_parse_event_json_only_raises_response_error(body: bytes) -> None:
    try:
        event = parse_event_json(body)
    except LoqedResponseError:
        return
    assert isinstance(event, LoqedEvent)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KNOWN_KEYS, JSON_VALUES | EVENT_TYPES, max_size=8))
def test_parse_event_json_agrees_with_parse_event(data: dict[str, Any]) -> None:
    try:
        body = orjson.dumps(data)
    except (TypeError, orjson.JSONEncodeError):
        return
    assert type(parse_event_json(body)) is type(parse_event(orjson.loads(body)))
