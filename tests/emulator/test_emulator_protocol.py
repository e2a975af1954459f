"""The emulator's own protocol code against every vector of protocol.md section 11."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from loqed_emulator.protocol import (
    ALL_TRIGGERS,
    Action,
    MalformedCommandError,
    RelayCommand,
    SignedCommand,
    build_relay_command,
    build_signed_command,
    command_mac,
    command_rejection,
    create_webhook_hash,
    decode_command_parameter,
    delete_webhook_hash,
    encode_json,
    fields_from_flags,
    flags_from_fields,
    hashes_equal,
    hmac_input,
    list_webhooks_hash,
    mac_matches,
    parse_command,
    webhook_body_hash,
)

LOCK_KEY = base64.b64decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
BRIDGE_KEY = base64.b64decode("ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=")
TS = 1767225600
KEY_ID = 5

HMACS = {
    1: "20a9bf9c88bffbbe2df169d1cb85325e6b3da71e440541a99a0370e1835f7ea3",
    2: "944bc2ad7b735be42703b8418b5eb903b725972f2e74d45a831d005f1c084e6d",
    3: "07eef4e34d96e2c67854687059098ac2d127542955aa8c02f6874995cca18cd5",
}
MESSAGES = {
    1: "AAAAAAAAAAACBwAAAABpVbkAIKm/nIi/+74t8WnRy4UyXms9px5EBUGpmgNw4YNffqMFAQE=",
    2: "AAAAAAAAAAACBwAAAABpVbkAlEvCrXtzW+QnA7hBi165A7clly8udNRagx0AXxwITm0FAQI=",
    3: "AAAAAAAAAAACBwAAAABpVbkAB+70402W4sZ4VGhwWQmKwtEnVClVqowC9odJlcyhjNUFAQM=",
}
WEBHOOK_BODY = (
    b'{"go_to_state":"NIGHT_LOCK","event_type":"GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK",'
    b'"mac_wifi":"aabbccddeeff","mac_ble":"aabbccddef01","key_local_id":5}'
)


def test_vector_keys_are_the_documented_bytes() -> None:
    assert bytes(range(32)) == LOCK_KEY
    assert bytes(range(32, 64)) == BRIDGE_KEY


def test_hmac_input_vector() -> None:
    assert hmac_input(key_id=KEY_ID, action=3, timestamp=TS).hex() == "0207000000006955b900050103"


@pytest.mark.parametrize("action", [1, 2, 3])
def test_hmac_vectors(action: int) -> None:
    signed = hmac_input(key_id=KEY_ID, action=action, timestamp=TS)
    assert command_mac(LOCK_KEY, signed).hex() == HMACS[action]


@pytest.mark.parametrize("action", [1, 2, 3])
def test_message_vectors(action: int) -> None:
    message = build_signed_command(lock_key=LOCK_KEY, key_id=KEY_ID, action=action, timestamp=TS)
    assert base64.b64encode(message).decode() == MESSAGES[action]


def test_query_value_vector_decodes_to_the_message() -> None:
    query = "AAAAAAAAAAACBwAAAABpVbkAIKm%2FnIi%2F%2B74t8WnRy4UyXms9px5EBUGpmgNw4YNffqMFAQE%3D"
    assert quote(MESSAGES[1], safe="") == query


@pytest.mark.parametrize("action", [1, 2, 3])
def test_parse_vector_messages(action: int) -> None:
    command = parse_command(base64.b64decode(MESSAGES[action]))
    assert isinstance(command, SignedCommand)
    assert (command.timestamp, command.key_id, command.device_id, command.action) == (
        TS,
        KEY_ID,
        1,
        action,
    )
    assert command.mac.hex() == HMACS[action]
    assert mac_matches(command, LOCK_KEY)
    assert not mac_matches(command, BRIDGE_KEY)
    assert "mac" not in repr(command)


def test_management_hash_vectors() -> None:
    assert (
        list_webhooks_hash(bridge_key=BRIDGE_KEY, timestamp=TS)
        == "de7789b48bb0c4fe973477f464535ac4e13a47223cf3fbf4b8001c1bf8e3fd2b"
    )
    url = "http://192.0.2.10:8123/api/webhook/example"
    assert (
        create_webhook_hash(bridge_key=BRIDGE_KEY, url=url, flags=511, timestamp=TS)
        == "5d4e0e46b29ddd7b953f581cdb2e41ddeeb4667643ac91fa1a4c022d5b849501"
    )
    assert (
        create_webhook_hash(bridge_key=BRIDGE_KEY, url=url, flags=399, timestamp=TS)
        == "874b86099465e8f9b1176f860b6137b800688160e6f5f88521c114d0567919b4"
    )
    assert (
        delete_webhook_hash(bridge_key=BRIDGE_KEY, webhook_id=4, timestamp=TS)
        == "ae42f6eabf982a224f24b266b49670ff82566e347c61cdaaf507b62adc585316"
    )


def test_webhook_body_hash_vector() -> None:
    assert (
        webhook_body_hash(bridge_key=BRIDGE_KEY, body=WEBHOOK_BODY, timestamp=TS)
        == "db63cfc54150d2f35cbaeb162541ecc0ef11a5fc0171ccc5f2c013535f12795f"
    )


def test_encode_json_is_compact_like_the_vector_body() -> None:
    body = {
        "go_to_state": "NIGHT_LOCK",
        "event_type": "GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK",
        "mac_wifi": "aabbccddeeff",
        "mac_ble": "aabbccddef01",
        "key_local_id": 5,
    }
    assert encode_json(body) == WEBHOOK_BODY


def test_hashes_equal_ignores_case_of_received() -> None:
    digest = list_webhooks_hash(bridge_key=BRIDGE_KEY, timestamp=TS)
    assert hashes_equal(digest.upper(), digest)
    assert not hashes_equal(digest[:-1] + "0", digest)


def test_relay_message_layout() -> None:
    message = build_relay_command(1)
    assert message == bytes(8) + bytes((2, 89, 1))
    assert parse_command(message) == RelayCommand(action_byte=1)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (b"", "too_short"),
        (bytes(9), "too_short"),
        (bytes(8) + bytes((3, 7)) + bytes(43), "unsupported_protocol"),
        (bytes(8) + bytes((2, 8)) + bytes(43), "unknown_command_type"),
        (bytes(8) + bytes((2, 7)) + bytes(42), "wrong_length"),
        (bytes(8) + bytes((2, 89, 1, 0)), "wrong_length"),
    ],
)
def test_parse_rejects_malformed(message: bytes, reason: str) -> None:
    with pytest.raises(MalformedCommandError) as caught:
        parse_command(message)
    assert caught.value.reason == reason


def test_decode_parameter_is_strict_base64() -> None:
    assert decode_command_parameter(MESSAGES[1]) == base64.b64decode(MESSAGES[1])
    with pytest.raises(MalformedCommandError, match="not_base64"):
        decode_command_parameter(MESSAGES[1].replace("+", " "))
    with pytest.raises(MalformedCommandError):
        decode_command_parameter("é")


def _command(action: int = 2, *, timestamp: int = TS, key_id: int = KEY_ID) -> SignedCommand:
    parsed = parse_command(
        build_signed_command(lock_key=LOCK_KEY, key_id=key_id, action=action, timestamp=timestamp)
    )
    assert isinstance(parsed, SignedCommand)
    return parsed


def test_command_rejection_reasons() -> None:
    keys = {KEY_ID: LOCK_KEY, 6: BRIDGE_KEY}
    assert command_rejection(_command(), keys, now=TS, window=60) is None
    assert command_rejection(_command(), keys, now=TS + 59, window=60) is None
    assert command_rejection(_command(), keys, now=TS + 60, window=60) == "stale"
    assert command_rejection(_command(), keys, now=TS - 60, window=60) == "from_future"
    assert command_rejection(_command(key_id=7), keys, now=TS, window=60) == "unknown_key"
    assert command_rejection(_command(key_id=6), keys, now=TS, window=60) == "bad_signature"
    assert command_rejection(_command(9), keys, now=TS, window=60) == "unknown_action"


def test_flags_round_trip() -> None:
    assert flags_from_fields(fields_from_flags(399)) == 399
    assert flags_from_fields(fields_from_flags(ALL_TRIGGERS)) == 511
    assert flags_from_fields({}) == 0
    assert flags_from_fields({"trigger_battery": True, "trigger_state_changed_open": "1"}) == 129
    assert next(iter(fields_from_flags(1))) == "trigger_state_changed_open"


@pytest.mark.parametrize("bad", [2, "yes", -1, [1]])
def test_flags_reject_non_binary(bad: object) -> None:
    with pytest.raises(ValueError, match="trigger_battery must be 0 or 1"):
        flags_from_fields({"trigger_battery": bad})


def test_action_values() -> None:
    assert [int(a) for a in Action] == [1, 2, 3]
