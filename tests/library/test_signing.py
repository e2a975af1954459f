"""Command messages and hashes against every vector of protocol.md section 11."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson
import pytest

from aioloqed import (
    CommandSigner,
    LockAction,
    WebhookTrigger,
    command_hmac_input,
    create_webhook_hash,
    delete_webhook_hash,
    encode_command,
    list_webhooks_hash,
    management_headers,
    relay_message,
    sign_command,
    webhook_body_hash,
)
from aioloqed.signing import webhook_body_digest

VECTORS = orjson.loads((Path(__file__).parent / "fixtures" / "vectors.json").read_bytes())
LOCK_KEY = bytes.fromhex(VECTORS["lock_key_hex"])
BRIDGE_KEY = bytes.fromhex(VECTORS["bridge_key_hex"])
TS = VECTORS["timestamp"]
KEY_ID = VECTORS["local_key_id"]
ACTIONS = [LockAction.OPEN, LockAction.UNLOCK, LockAction.LOCK]


def test_vector_keys_are_the_documented_bytes(vectors: dict[str, Any]) -> None:
    assert base64.b64decode(vectors["lock_key_b64"]) == LOCK_KEY == bytes(range(32))
    assert base64.b64decode(vectors["bridge_key_b64"]) == BRIDGE_KEY == bytes(range(32, 64))
    assert vectors["timestamp"].to_bytes(8, "big").hex() == vectors["timestamp_hex"]


def test_hmac_input_layout() -> None:
    data = command_hmac_input(local_key_id=KEY_ID, action=LockAction.LOCK, timestamp=TS)
    assert data.hex() == VECTORS["hmac_input"]["3"]
    assert len(data) == 13


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_signed_command_matches_vector(action: LockAction) -> None:
    message = sign_command(lock_key=LOCK_KEY, local_key_id=KEY_ID, action=action, timestamp=TS)
    assert len(message) == 53
    assert base64.b64encode(message).decode() == VECTORS["message_b64"][str(action.value)]
    assert message[18:50].hex() == VECTORS["hmac"][str(action.value)]
    assert message[:8] == bytes(8)
    assert message[50:] == bytes([KEY_ID, 1, action.value])


def test_one_signer_signs_every_command_like_the_vectors() -> None:
    signer = CommandSigner(LOCK_KEY)
    # Twice round: signing one command leaves the keyed HMAC as it was for the next.
    for action in [*ACTIONS, *ACTIONS]:
        message = signer.sign(local_key_id=KEY_ID, action=action, timestamp=TS)
        assert base64.b64encode(message).decode() == VECTORS["message_b64"][str(action.value)]
    assert LOCK_KEY.hex() not in repr(signer)
    assert base64.b64encode(LOCK_KEY).decode() not in repr(signer)


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_encoded_command_has_no_raw_reserved_characters(action: LockAction) -> None:
    message = sign_command(lock_key=LOCK_KEY, local_key_id=KEY_ID, action=action, timestamp=TS)
    encoded = encode_command(message)
    assert not set("+/=") & set(encoded)
    assert unquote(encoded) == VECTORS["message_b64"][str(action.value)]


def test_query_value_vector() -> None:
    message = sign_command(
        lock_key=LOCK_KEY, local_key_id=KEY_ID, action=LockAction.OPEN, timestamp=TS
    )
    assert encode_command(message) == VECTORS["query_value"]["1"]


def test_a_different_key_or_time_changes_the_signature() -> None:
    base = sign_command(
        lock_key=LOCK_KEY, local_key_id=KEY_ID, action=LockAction.OPEN, timestamp=TS
    )
    other_key = sign_command(
        lock_key=BRIDGE_KEY, local_key_id=KEY_ID, action=LockAction.OPEN, timestamp=TS
    )
    later = sign_command(
        lock_key=LOCK_KEY, local_key_id=KEY_ID, action=LockAction.OPEN, timestamp=TS + 1
    )
    assert base[18:50] != other_key[18:50]
    assert base[18:50] != later[18:50]


def test_list_webhooks_hash_vector() -> None:
    assert list_webhooks_hash(bridge_key=BRIDGE_KEY, timestamp=TS) == VECTORS["list_webhooks_hash"]


@pytest.mark.parametrize("flags", [511, 399])
def test_create_webhook_hash_vectors(flags: int) -> None:
    result = create_webhook_hash(
        bridge_key=BRIDGE_KEY, url=VECTORS["create_webhook_url"], triggers=flags, timestamp=TS
    )
    assert result == VECTORS["create_webhook_hash"][str(flags)]


def test_create_webhook_hash_takes_trigger_flags() -> None:
    flags = WebhookTrigger.ALL & ~(
        WebhookTrigger.GOTO_OPEN | WebhookTrigger.GOTO_LATCH | WebhookTrigger.GOTO_NIGHT_LOCK
    )
    assert flags == 399
    result = create_webhook_hash(
        bridge_key=BRIDGE_KEY, url=VECTORS["create_webhook_url"], triggers=flags, timestamp=TS
    )
    assert result == VECTORS["create_webhook_hash"]["399"]


def test_delete_webhook_hash_vector() -> None:
    result = delete_webhook_hash(
        bridge_key=BRIDGE_KEY, webhook_id=VECTORS["delete_webhook_id"], timestamp=TS
    )
    assert result == VECTORS["delete_webhook_hash"]


def test_webhook_body_hash_vector() -> None:
    body = VECTORS["webhook_body"].encode()
    assert (
        webhook_body_hash(bridge_key=BRIDGE_KEY, body=body, timestamp=TS)
        == (VECTORS["webhook_body_hash"])
    )


def test_webhook_body_digest_is_the_hash_as_bytes() -> None:
    body = VECTORS["webhook_body"].encode()
    digest = webhook_body_digest(bridge_key=BRIDGE_KEY, body=body, timestamp=TS)
    assert digest == bytes.fromhex(VECTORS["webhook_body_hash"])
    with pytest.raises(ValueError, match="timestamp"):
        webhook_body_digest(bridge_key=BRIDGE_KEY, body=body, timestamp=-1)


def test_webhook_body_hash_covers_raw_bytes_not_json_meaning() -> None:
    body = VECTORS["webhook_body"].encode()
    reformatted = orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2)
    assert (
        webhook_body_hash(bridge_key=BRIDGE_KEY, body=reformatted, timestamp=TS)
        != (VECTORS["webhook_body_hash"])
    )


def test_vectors_published_by_another_implementation(vectors: dict[str, Any]) -> None:
    published = vectors["published"]
    message = sign_command(
        lock_key=base64.b64decode(published["lock_key_b64"]),
        local_key_id=published["local_key_id"],
        action=LockAction(published["action"]),
        timestamp=published["timestamp"],
    )
    assert base64.b64encode(message).decode() == published["message_b64"]
    assert (
        delete_webhook_hash(
            bridge_key=base64.b64decode(published["bridge_key_b64"]),
            webhook_id=published["delete_webhook_id"],
            timestamp=published["timestamp"],
        )
        == published["delete_webhook_hash"]
    )


def test_management_headers() -> None:
    assert management_headers(hash_hex="ab" * 32, timestamp=TS) == {
        "TIMESTAMP": "1767225600",
        "HASH": "ab" * 32,
    }


def test_relay_message_layout() -> None:
    assert relay_message() == bytes(8) + bytes([2, 89, 1])
    assert relay_message(2)[-1] == 2
    assert len(relay_message()) == 11


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"local_key_id": 256, "timestamp": TS}, "local_key_id"),
        ({"local_key_id": -1, "timestamp": TS}, "local_key_id"),
        ({"local_key_id": 5, "timestamp": -1}, "timestamp"),
        ({"local_key_id": 5, "timestamp": 2**64}, "timestamp"),
        ({"local_key_id": 2.0, "timestamp": TS}, "integers"),
    ],
)
def test_out_of_range_command_fields_are_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sign_command(lock_key=LOCK_KEY, action=LockAction.OPEN, **kwargs)


def test_out_of_range_hash_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="triggers"):
        create_webhook_hash(bridge_key=BRIDGE_KEY, url="http://x", triggers=2**32, timestamp=TS)
    with pytest.raises(ValueError, match="webhook_id"):
        delete_webhook_hash(bridge_key=BRIDGE_KEY, webhook_id=-1, timestamp=TS)
    with pytest.raises(ValueError, match="action_byte"):
        relay_message(256)
    with pytest.raises(ValueError, match="command_type"):
        command_hmac_input(local_key_id=1, action=LockAction.OPEN, timestamp=TS, command_type=300)
