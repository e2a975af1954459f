"""Webhook verification: hash, window, replay cache, size limit, unverifiable bridges."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings, strategies as st
from multidict import CIMultiDict
import pytest

from aioloqed import (
    BoltState,
    GoingToStateEvent,
    LoqedVerificationError,
    RejectedWebhook,
    RejectReason,
    UnknownEvent,
    UnverifiableWebhook,
    VerifiedWebhook,
    WebhookVerifier,
    webhook_body_hash,
)

BRIDGE_KEY = bytes(range(32, 64))
TS = 1767225600
BODY = (
    b'{"go_to_state":"NIGHT_LOCK","event_type":"GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK",'
    b'"mac_wifi":"aabbccddeeff","mac_ble":"aabbccddef01","key_local_id":5}'
)
BODY_HASH = "db63cfc54150d2f35cbaeb162541ecc0ef11a5fc0171ccc5f2c013535f12795f"


def signed(body: bytes = BODY, timestamp: int = TS, key: bytes = BRIDGE_KEY) -> dict[str, str]:
    return {
        "TIMESTAMP": str(timestamp),
        "HASH": webhook_body_hash(bridge_key=key, body=body, timestamp=timestamp),
    }


@pytest.fixture
def verifier() -> WebhookVerifier:
    return WebhookVerifier(BRIDGE_KEY)


def test_vector_body_verifies(verifier: WebhookVerifier) -> None:
    result = verifier.verify(BODY, {"TIMESTAMP": str(TS), "HASH": BODY_HASH}, now=TS + 2.5)
    assert isinstance(result, VerifiedWebhook)
    assert result.timestamp == TS
    assert result.skew == -2.5
    assert isinstance(result.event, GoingToStateEvent)
    assert result.event.target is BoltState.NIGHT_LOCK
    assert result.event.key_id == 5


@pytest.mark.parametrize(
    "headers",
    [
        {"timestamp": str(TS), "hash": BODY_HASH},
        {"Timestamp": str(TS), "Hash": BODY_HASH},
        {"TIMESTAMP": f" {TS} ", "HASH": BODY_HASH.upper()},
        CIMultiDict({"TiMeStAmP": str(TS), "hAsH": BODY_HASH}),
    ],
    ids=["lower", "title", "upper-hex", "multidict"],
)
def test_header_names_and_hex_case_do_not_matter(
    verifier: WebhookVerifier, headers: dict[str, str]
) -> None:
    assert isinstance(verifier.verify(BODY, headers, now=TS), VerifiedWebhook)


def test_wrong_key_is_bad_hash(verifier: WebhookVerifier) -> None:
    result = verifier.verify(BODY, signed(key=bytes(32)), now=TS)
    assert result == RejectedWebhook(RejectReason.BAD_HASH)


@pytest.mark.parametrize("bad", ["", "zz", "ä" * 64, BODY_HASH[:-1], BODY_HASH + "0"])
def test_malformed_hash_header_is_bad_hash(verifier: WebhookVerifier, bad: str) -> None:
    headers = {"TIMESTAMP": str(TS), "HASH": bad}
    result = verifier.verify(BODY, headers, now=TS)
    if bad == "":
        assert isinstance(result, UnverifiableWebhook)
    else:
        assert result == RejectedWebhook(RejectReason.BAD_HASH)


def test_signature_over_other_timestamp_is_bad_hash(verifier: WebhookVerifier) -> None:
    headers = signed() | {"TIMESTAMP": str(TS + 1)}
    assert verifier.verify(BODY, headers, now=TS) == RejectedWebhook(RejectReason.BAD_HASH)


@pytest.mark.parametrize(
    "value", ["abc", "-5", "1.5", "1e9", "\uff11\uff12\uff13", "9" * 21, str(2**64)]
)
def test_unparsable_timestamp_is_bad_header(verifier: WebhookVerifier, value: str) -> None:
    headers = {"TIMESTAMP": value, "HASH": BODY_HASH}
    assert verifier.verify(BODY, headers, now=TS) == RejectedWebhook(RejectReason.BAD_HEADER)


@pytest.mark.parametrize("offset", [31, -31, 3600])
def test_stale_with_valid_hash_reports_skew(verifier: WebhookVerifier, offset: int) -> None:
    result = verifier.verify(BODY, signed(timestamp=TS + offset), now=TS)
    assert result == RejectedWebhook(RejectReason.STALE, skew=float(offset))


@pytest.mark.parametrize("offset", [30, -30, 0])
def test_window_edges_are_inclusive(verifier: WebhookVerifier, offset: int) -> None:
    assert isinstance(verifier.verify(BODY, signed(timestamp=TS + offset), now=TS), VerifiedWebhook)


def test_stale_forgery_reports_bad_hash_not_skew(verifier: WebhookVerifier) -> None:
    headers = {"TIMESTAMP": str(TS - 1000), "HASH": "0" * 64}
    assert verifier.verify(BODY, headers, now=TS) == RejectedWebhook(RejectReason.BAD_HASH)


def test_window_is_configurable() -> None:
    verifier = WebhookVerifier(BRIDGE_KEY, window=10)
    assert verifier.window == 10
    assert verifier.verify(BODY, signed(timestamp=TS - 11), now=TS).reason is RejectReason.STALE  # type: ignore[union-attr]
    verifier.window = 60
    assert isinstance(verifier.verify(BODY, signed(timestamp=TS - 11), now=TS), VerifiedWebhook)


@pytest.mark.parametrize("window", [-1, float("nan")])
def test_window_must_be_non_negative(window: float) -> None:
    with pytest.raises(ValueError, match="window"):
        WebhookVerifier(BRIDGE_KEY, window=window)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"max_body_size": -1}, "max_body_size"), ({"replay_cache_size": 0}, "replay_cache_size")],
)
def test_invalid_settings(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        WebhookVerifier(BRIDGE_KEY, **kwargs)


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="bridge_key"):
        WebhookVerifier(b"")


def test_replay_is_accepted_once(verifier: WebhookVerifier) -> None:
    headers = signed()
    assert isinstance(verifier.verify(BODY, headers, now=TS), VerifiedWebhook)
    assert verifier.verify(BODY, headers, now=TS + 1) == RejectedWebhook(RejectReason.REPLAY)
    assert isinstance(verifier.verify(BODY, signed(timestamp=TS + 1), now=TS + 1), VerifiedWebhook)


def test_replay_with_differently_cased_hash_is_still_a_replay(verifier: WebhookVerifier) -> None:
    headers = signed()
    verifier.verify(BODY, headers, now=TS)
    upper = headers | {"HASH": headers["HASH"].upper()}
    assert verifier.verify(BODY, upper, now=TS) == RejectedWebhook(RejectReason.REPLAY)


def test_rejected_messages_do_not_enter_the_replay_cache(verifier: WebhookVerifier) -> None:
    verifier.verify(BODY, signed(timestamp=TS - 100), now=TS)  # stale
    verifier.verify(BODY, {"TIMESTAMP": str(TS), "HASH": "0" * 64}, now=TS)  # forged
    assert verifier.replay_cache_len == 0


def test_replay_cache_is_bounded_in_size() -> None:
    verifier = WebhookVerifier(BRIDGE_KEY, replay_cache_size=3)
    for n in range(10):
        body = b'{"battery_percentage":%d}' % n
        assert isinstance(verifier.verify(body, signed(body), now=TS), VerifiedWebhook)
        assert verifier.replay_cache_len <= 3
    assert verifier.replay_cache_len == 3
    last = b'{"battery_percentage":9}'
    assert verifier.verify(last, signed(last), now=TS) == RejectedWebhook(RejectReason.REPLAY)


def test_replay_cache_is_pruned_by_age() -> None:
    verifier = WebhookVerifier(BRIDGE_KEY, window=30)
    for n in range(5):
        body = b'{"battery_percentage":%d}' % n
        verifier.verify(body, signed(body), now=TS)
    assert verifier.replay_cache_len == 5
    later = b'{"battery_percentage":50}'
    verifier.verify(later, signed(later, timestamp=TS + 31), now=TS + 31)
    assert verifier.replay_cache_len == 1


def test_widening_the_window_never_reopens_a_replay() -> None:
    verifier = WebhookVerifier(BRIDGE_KEY, window=60)
    headers = signed()
    verifier.verify(BODY, headers, now=TS)
    verifier.window = 10
    other = b'{"battery_percentage":1}'
    verifier.verify(other, signed(other, timestamp=TS + 20), now=TS + 20)  # prunes by age
    verifier.window = 60
    assert verifier.verify(BODY, headers, now=TS + 25) == RejectedWebhook(RejectReason.REPLAY)


def test_forget(verifier: WebhookVerifier) -> None:
    headers = signed()
    verifier.verify(BODY, headers, now=TS)
    verifier.forget([headers["HASH"], "00", "not hex"])
    assert isinstance(verifier.verify(BODY, headers, now=TS), VerifiedWebhook)
    verifier.forget()
    assert verifier.replay_cache_len == 0


def test_body_size_limit() -> None:
    verifier = WebhookVerifier(BRIDGE_KEY, max_body_size=len(BODY))
    assert verifier.max_body_size == len(BODY)
    assert isinstance(verifier.verify(BODY, signed(), now=TS), VerifiedWebhook)
    big = BODY + b" "
    assert verifier.verify(big, signed(big), now=TS) == RejectedWebhook(RejectReason.TOO_LARGE)
    assert verifier.verify(big, {}, now=TS) == RejectedWebhook(RejectReason.TOO_LARGE)


@pytest.mark.parametrize("body", [b"not json", b"[1,2,3]", b"", b"\xff\xfe"])
def test_signed_non_object_is_not_json(verifier: WebhookVerifier, body: bytes) -> None:
    assert verifier.verify(body, signed(body), now=TS) == RejectedWebhook(RejectReason.NOT_JSON)


@pytest.mark.parametrize(
    "headers",
    [{}, {"TIMESTAMP": str(TS)}, {"HASH": BODY_HASH}, {"TIMESTAMP": "", "HASH": BODY_HASH}],
    ids=["none", "no-hash", "no-timestamp", "empty-timestamp"],
)
def test_missing_headers_are_unverifiable_but_parsed(
    verifier: WebhookVerifier, headers: dict[str, str]
) -> None:
    result = verifier.verify(BODY, headers, now=TS)
    assert isinstance(result, UnverifiableWebhook)
    assert isinstance(result.event, GoingToStateEvent)
    assert result.event.key_id == 5


def test_unverifiable_non_json_has_no_event(verifier: WebhookVerifier) -> None:
    assert verifier.verify(b"hello", {}, now=TS) == UnverifiableWebhook(None)


def test_unverifiable_unknown_payload(verifier: WebhookVerifier) -> None:
    result = verifier.verify(b'{"something":"new"}', {}, now=TS)
    assert isinstance(result, UnverifiableWebhook)
    assert isinstance(result.event, UnknownEvent)


def test_verify_or_raise(verifier: WebhookVerifier) -> None:
    event = verifier.verify_or_raise(BODY, signed(), now=TS)
    assert isinstance(event, GoingToStateEvent)
    with pytest.raises(LoqedVerificationError) as err:
        verifier.verify_or_raise(BODY, signed(), now=TS)
    assert err.value.reason is RejectReason.REPLAY
    assert "replay" in str(err.value)
    with pytest.raises(LoqedVerificationError) as err:
        verifier.verify_or_raise(BODY, {}, now=TS)
    assert err.value.reason is RejectReason.BAD_HEADER
    assert "TIMESTAMP" in str(err.value)


def test_repr_hides_the_key(verifier: WebhookVerifier) -> None:
    text = repr(verifier)
    assert "window=30.0" in text
    assert BRIDGE_KEY.hex() not in text
    assert repr(BRIDGE_KEY) not in text


@settings(max_examples=150, deadline=None)
@given(position=st.integers(min_value=0, max_value=len(BODY) - 1), delta=st.integers(1, 255))
def test_tampering_any_byte_is_bad_hash(position: int, delta: int) -> None:
    verifier = WebhookVerifier(BRIDGE_KEY)
    tampered = bytearray(BODY)
    tampered[position] = (tampered[position] + delta) % 256
    result = verifier.verify(bytes(tampered), signed(), now=TS)
    assert result == RejectedWebhook(RejectReason.BAD_HASH)


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=300), timestamp=st.integers(0, 2**64 - 1))
def test_any_signed_body_verifies_or_is_not_json(body: bytes, timestamp: int) -> None:
    verifier = WebhookVerifier(BRIDGE_KEY, max_body_size=1024)
    result = verifier.verify(body, signed(body, timestamp=timestamp), now=timestamp)
    assert isinstance(result, VerifiedWebhook) or result == RejectedWebhook(RejectReason.NOT_JSON)


HEADER_TEXT = st.text(max_size=70)


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=300),
    headers=st.dictionaries(
        st.sampled_from(["TIMESTAMP", "HASH", "timestamp", "hash", "X-Other"])
        | st.text(max_size=8),
        HEADER_TEXT,
        max_size=4,
    ),
    now=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
)
def test_verify_never_raises(body: bytes, headers: dict[str, str], now: float) -> None:
    result = WebhookVerifier(BRIDGE_KEY, max_body_size=200).verify(body, headers, now=now)
    assert isinstance(result, RejectedWebhook | UnverifiableWebhook)
