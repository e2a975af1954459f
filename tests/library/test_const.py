"""Protocol enums and the webhook trigger bitmap."""

from __future__ import annotations

import pytest

from aioloqed import BoltState, LockAction, Motion, WebhookTrigger
from aioloqed.const import TRIGGER_FIELDS


def test_action_bytes_follow_the_protocol() -> None:
    assert [int(a) for a in (LockAction.OPEN, LockAction.UNLOCK, LockAction.LOCK)] == [1, 2, 3]


def test_bolt_state_and_motion_values() -> None:
    assert [s.value for s in BoltState] == ["unknown", "open", "day_lock", "night_lock"]
    assert [m.value for m in Motion] == ["opening", "unlocking", "locking"]


@pytest.mark.parametrize(
    ("field", "flag"),
    [
        ("trigger_state_changed_open", WebhookTrigger.STATE_CHANGED_OPEN),
        ("trigger_state_changed_latch", WebhookTrigger.STATE_CHANGED_LATCH),
        ("trigger_state_changed_night_lock", WebhookTrigger.STATE_CHANGED_NIGHT_LOCK),
        ("trigger_state_changed_unknown", WebhookTrigger.STATE_CHANGED_UNKNOWN),
        ("trigger_state_goto_open", WebhookTrigger.GOTO_OPEN),
        ("trigger_state_goto_latch", WebhookTrigger.GOTO_LATCH),
        ("trigger_state_goto_night_lock", WebhookTrigger.GOTO_NIGHT_LOCK),
        ("trigger_battery", WebhookTrigger.BATTERY),
        ("trigger_online_status", WebhookTrigger.ONLINE_STATUS),
    ],
)
def test_each_trigger_field_is_its_bit(field: str, flag: WebhookTrigger) -> None:
    assert WebhookTrigger.from_fields({field: 1}) == flag
    fields = flag.to_fields()
    assert fields[field] == 1
    assert sum(fields.values()) == 1


def test_all_triggers_round_trip() -> None:
    fields = WebhookTrigger.ALL.to_fields()
    assert list(fields) == list(TRIGGER_FIELDS)
    assert set(fields.values()) == {1}
    assert WebhookTrigger.from_fields(fields) == WebhookTrigger.ALL
    assert int(WebhookTrigger.ALL) == 511


def test_goto_off_is_399_as_openhab_sends_it() -> None:
    fields = dict.fromkeys(TRIGGER_FIELDS, 1) | {
        "trigger_state_goto_open": 0,
        "trigger_state_goto_latch": 0,
        "trigger_state_goto_night_lock": 0,
    }
    assert WebhookTrigger.from_fields(fields) == 399


@pytest.mark.parametrize(
    ("value", "on"),
    [
        (1, True),
        (0, False),
        ("1", True),
        ("0", False),
        (True, True),
        (False, False),
        ("true", True),
        (" on ", True),
        ("no", False),
        (None, False),
        (2.0, True),
        ([1], False),
    ],
)
def test_trigger_field_values_are_read_tolerantly(value: object, on: bool) -> None:
    flags = WebhookTrigger.from_fields({"trigger_battery": value})
    assert (WebhookTrigger.BATTERY in flags) is on


def test_missing_trigger_fields_are_off() -> None:
    assert WebhookTrigger.from_fields({}) == 0


def test_exception_tree_and_messages() -> None:
    from aioloqed import (
        CredentialsProblem,
        LoqedAuthenticationError,
        LoqedConnectionError,
        LoqedCredentialsError,
        LoqedError,
        LoqedResponseError,
        LoqedTimeoutError,
        LoqedVerificationError,
        RejectReason,
    )

    auth = LoqedAuthenticationError("bridge_key")
    assert auth.credential == "bridge_key"
    assert str(auth) == "The bridge key was refused"
    assert str(LoqedAuthenticationError("token", "Token expired")) == "Token expired"
    assert issubclass(LoqedTimeoutError, LoqedConnectionError)
    response = LoqedResponseError("unexpected answer", status=500)
    assert response.status == 500
    creds = LoqedCredentialsError("bridge_key", CredentialsProblem.NOT_BASE64)
    assert str(creds) == "bridge_key: not base64"
    verification = LoqedVerificationError(RejectReason.BAD_HASH)
    assert str(verification) == "Webhook rejected: bad hash"
    for error in (auth, response, creds, verification, LoqedTimeoutError()):
        assert isinstance(error, LoqedError)
