"""The forged requests are what they claim: none of them can move the lock."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings, strategies as st
from reliability.forgery import MIB, MIX, Forger, body_hash

from aioloqed import (
    GoingToStateEvent,
    StateReachedEvent,
    VerifiedWebhook,
    WebhookVerifier,
    webhook_body_hash,
)

KEY = bytes(range(32, 64))
NOW = 1767225600


def forger(seed: int) -> Forger:
    return Forger(KEY, "aabbccddeeff", "aabbccddef01", NOW, seed)


def test_the_suite_signs_like_the_library() -> None:
    assert body_hash(KEY, b"{}", NOW) == webhook_body_hash(
        bridge_key=KEY, body=b"{}", timestamp=NOW
    )


def test_mix_and_repeatability() -> None:
    requests = forger(3).requests(1000)
    assert requests == forger(3).requests(1000)
    kinds = Counter(r.kind for r in requests)
    assert set(kinds) == {kind for kind, _ in MIX}
    assert sum(kinds.values()) == 1000
    assert kinds["tampered"] == 160
    methods = {r.method for r in requests if r.kind == "wrong_method"}
    assert "POST" not in methods
    assert methods <= {"GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"}
    sizes = Counter(r.huge for r in requests if r.kind == "huge")
    assert sizes[8 * MIB] <= 4
    assert sizes[17 * MIB] <= 2
    assert all(len(r.payload()) == r.huge for r in requests if r.kind == "huge")


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), count=st.integers(1, 120))
def test_no_forged_request_moves_the_lock(seed: int, count: int) -> None:
    verifier = WebhookVerifier(KEY)
    for request in forger(seed).requests(count):
        if request.method != "POST":
            continue
        result = verifier.verify(request.payload(), dict(request.headers), now=NOW)
        if isinstance(result, VerifiedWebhook):
            assert not isinstance(result.event, GoingToStateEvent | StateReachedEvent), request.kind
            assert request.kind in {"non_json", "deep_json"}
