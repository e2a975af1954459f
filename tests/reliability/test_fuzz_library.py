"""Property-based fuzzing of the library's verifier, parsers and reducer.

The library's own tests already fuzz event parsing and check that the verifier never raises;
these add what a hostile network adds: arbitrary headers around correctly and wrongly signed
bodies, replays, clocks anywhere, and status answers of any shape.
"""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings, strategies as st

from aioloqed import (
    BridgeStatus,
    GoingToStateEvent,
    LockState,
    LoqedResponseError,
    RejectedWebhook,
    RejectReason,
    UnverifiableWebhook,
    VerifiedWebhook,
    WebhookVerifier,
    parse_event,
    reduce_state,
    webhook_body_hash,
)
from aioloqed.events import EVENT_TABLE

KEY = bytes(range(32, 64))
WINDOW = 30.0
TIMESTAMPS = st.integers(0, 2**40)
JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**64) | st.text(max_size=20)
JSON = st.recursive(
    JSON_SCALARS | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
HEADER_NAMES = st.sampled_from(
    ["TIMESTAMP", "HASH", "timestamp", "hash", "Timestamp", "Content-Type", "X-Forwarded-For"]
) | st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12)
HEADER_VALUES = st.text(max_size=80)


def signed(body: bytes, timestamp: int, key: bytes = KEY) -> dict[str, str]:
    return {
        "TIMESTAMP": str(timestamp),
        "HASH": webhook_body_hash(bridge_key=key, body=body, timestamp=timestamp),
    }


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=400),
    timestamp=TIMESTAMPS,
    skew=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    extra=st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=3),
)
def test_a_correct_signature_verifies_exactly_inside_the_window(
    body: bytes, timestamp: int, skew: float, extra: dict[str, str]
) -> None:
    headers = {k: v for k, v in extra.items() if k.lower() not in {"timestamp", "hash"}}
    headers.update(signed(body, timestamp))
    verifier = WebhookVerifier(KEY, window=WINDOW, max_body_size=1024)
    now = timestamp - skew
    result = verifier.verify(body, headers, now=now)
    if abs(timestamp - now) > WINDOW:
        assert result == RejectedWebhook(RejectReason.STALE, timestamp - now)
    else:
        assert isinstance(result, VerifiedWebhook) or result == RejectedWebhook(
            RejectReason.NOT_JSON
        )
        # the same message again is never accepted a second time
        assert verifier.verify(body, headers, now=now) == RejectedWebhook(RejectReason.REPLAY)


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=400),
    timestamp=TIMESTAMPS,
    headers=st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=5),
    other_key=st.binary(min_size=16, max_size=64),
)
def test_nothing_but_the_right_key_over_the_exact_bytes_verifies(
    body: bytes, timestamp: int, headers: dict[str, str], other_key: bytes
) -> None:
    verifier = WebhookVerifier(KEY, window=WINDOW, max_body_size=1024)
    forged = dict(headers)
    if other_key != KEY:
        forged.update(signed(body, timestamp, other_key))
    result = verifier.verify(body, forged, now=timestamp)
    assert not isinstance(result, VerifiedWebhook)
    assert isinstance(result, RejectedWebhook | UnverifiableWebhook)


@settings(max_examples=200, deadline=None)
@given(
    payload=st.dictionaries(st.text(max_size=12), JSON, max_size=6),
    timestamp=TIMESTAMPS,
    position=st.integers(0, 10_000),
)
def test_any_change_to_a_signed_body_is_a_bad_hash(
    payload: dict[str, Any], timestamp: int, position: int
) -> None:
    import orjson

    try:
        body = orjson.dumps(payload)
    except (TypeError, orjson.JSONEncodeError):
        return
    headers = signed(body, timestamp)
    changed = bytearray(body)
    index = position % len(changed)
    changed[index] ^= 0x20 if changed[index] != 0x20 else 0x01
    result = WebhookVerifier(KEY).verify(bytes(changed), headers, now=timestamp)
    assert result == RejectedWebhook(RejectReason.BAD_HASH)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=20), JSON, max_size=10))
def test_status_answers_of_any_shape_parse_or_raise_the_library_error(data: dict[str, Any]) -> None:
    for candidate in (data, {**data, "bolt_state": data.get("x"), "lock_online": data.get("y")}):
        try:
            status = BridgeStatus.from_dict(candidate)
        except LoqedResponseError:
            continue
        assert isinstance(status.lock_online, bool)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_status_bodies_of_any_bytes_parse_or_raise_the_library_error(body: bytes) -> None:
    with contextlib.suppress(LoqedResponseError):
        BridgeStatus.from_json(body)


EVENT_DICTS = st.fixed_dictionaries(
    {"event_type": st.sampled_from(sorted(EVENT_TABLE))},
    optional={
        "key_local_id": st.sampled_from([0, 1, 5, 250, 255, None, "", "7", -1, 999]),
        "go_to_state": st.sampled_from(["OPEN", "DAY_LOCK", "NIGHT_LOCK", "x", None]),
        "requested_state": st.sampled_from(["OPEN", "DAY_LOCK", "NIGHT_LOCK", "UNKNOWN"]),
    },
) | st.dictionaries(st.text(max_size=15), JSON, max_size=5)


@settings(max_examples=300, deadline=None)
@given(st.lists(EVENT_DICTS, max_size=15))
def test_the_reducer_takes_any_event_sequence(events: list[dict[str, Any]]) -> None:
    state = LockState()
    for data in events:
        state = reduce_state(state, parse_event(data))
        assert (state.motion is None) == (state.target is None)


@settings(max_examples=300, deadline=None)
@given(st.lists(EVENT_DICTS, max_size=15))
def test_after_a_going_to_event_any_motion_shown_is_towards_its_target(
    events: list[dict[str, Any]],
) -> None:
    state = LockState()
    for data in events:
        event = parse_event(data)
        state = reduce_state(state, event)
        if isinstance(event, GoingToStateEvent):
            # The lock's latest intent is this event's target: showing a motion towards another
            # state (which will never be reported as reached) leaves the entity moving forever.
            assert state.target in (None, event.target)
