"""Planning the bridge's webhook registrations: ours once, stale copies gone, others untouched."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from aioloqed import ReconcilePlan, WebhookRegistration, WebhookTrigger, plan_webhook_reconcile

URL = "http://192.168.1.10:8123/api/webhook/abc"
ALL = WebhookTrigger.ALL


def reg(id_: int, url: str = URL, triggers: int = ALL) -> WebhookRegistration:
    return WebhookRegistration(id_, url, WebhookTrigger(triggers))


def ours(url: str) -> bool:
    return url.endswith("/api/webhook/abc")


def test_nothing_registered_creates() -> None:
    plan = plan_webhook_reconcile([], URL)
    assert plan == ReconcilePlan(keep=None, delete=(), create=True, foreign=())
    assert plan.changes


def test_exact_registration_is_kept() -> None:
    plan = plan_webhook_reconcile([reg(3)], URL)
    assert plan == ReconcilePlan(keep=reg(3), delete=(), create=False, foreign=())
    assert not plan.changes


def test_duplicates_are_deleted_lowest_id_kept() -> None:
    plan = plan_webhook_reconcile([reg(9), reg(4), reg(7)], URL)
    assert plan.keep == reg(4)
    assert plan.delete == (reg(7), reg(9))
    assert not plan.create


def test_wrong_triggers_are_replaced() -> None:
    plan = plan_webhook_reconcile([reg(2, triggers=399)], URL)
    assert plan.keep is None
    assert plan.delete == (reg(2, triggers=399),)
    assert plan.create


def test_wrong_triggers_deleted_and_exact_copy_kept() -> None:
    plan = plan_webhook_reconcile([reg(1, triggers=399), reg(2)], URL)
    assert (plan.keep, plan.delete, plan.create) == (reg(2), (reg(1, triggers=399),), False)


def test_custom_triggers() -> None:
    plan = plan_webhook_reconcile([reg(1)], URL, triggers=WebhookTrigger(399))
    assert (plan.keep, plan.create) == (None, True)
    assert plan.delete == (reg(1),)


def test_stale_copies_of_ours_are_deleted_foreign_left_alone() -> None:
    registrations = [
        reg(1, "http://192.168.1.99:8123/api/webhook/abc"),  # our old address
        reg(2, "http://hook_id"),  # someone else's
        reg(3, "http://192.168.1.20/loqed"),
        reg(5),
    ]
    plan = plan_webhook_reconcile(registrations, URL, is_ours=ours)
    assert plan.keep == reg(5)
    assert plan.delete == (reg(1, "http://192.168.1.99:8123/api/webhook/abc"),)
    assert plan.foreign == (reg(2, "http://hook_id"), reg(3, "http://192.168.1.20/loqed"))


def test_without_is_ours_other_urls_are_foreign() -> None:
    plan = plan_webhook_reconcile([reg(1, "http://192.168.1.99:8123/api/webhook/abc")], URL)
    assert plan.foreign == (reg(1, "http://192.168.1.99:8123/api/webhook/abc"),)
    assert plan.create


def test_exact_url_is_ours_even_if_predicate_says_no() -> None:
    plan = plan_webhook_reconcile([reg(1), reg(2)], URL, is_ours=lambda _url: False)
    assert (plan.keep, plan.delete) == (reg(1), (reg(2),))


URLS = st.sampled_from([URL, "http://old:8123/api/webhook/abc", "http://other/x", "http://y"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.builds(reg, st.integers(0, 50), URLS, st.sampled_from([511, 399, 128])),
        max_size=8,
        unique_by=lambda r: r.id,
    )
)
def test_plan_partitions_and_converges(registrations: list[WebhookRegistration]) -> None:
    plan = plan_webhook_reconcile(registrations, URL, is_ours=ours)
    kept = [plan.keep] if plan.keep else []
    assert sorted(r.id for r in [*kept, *plan.delete, *plan.foreign]) == sorted(
        r.id for r in registrations
    )
    assert plan.create is (plan.keep is None)
    assert all(not ours(r.url) for r in plan.foreign)
    # applying the plan leaves exactly one exact registration, and planning again changes nothing
    after = [*kept, *plan.foreign] + ([reg(99)] if plan.create else [])
    again = plan_webhook_reconcile(after, URL, is_ours=ours)
    assert not again.changes
    assert again.keep is not None
    assert again.keep.triggers == ALL
