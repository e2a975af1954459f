"""Plan how to bring the bridge's webhook registrations to exactly one of ours (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aioloqed.const import WebhookTrigger

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from aioloqed.models import WebhookRegistration


@dataclass(frozen=True, slots=True)
class ReconcilePlan:
    """What to do with the bridge's registrations."""

    keep: WebhookRegistration | None
    """Our registration with the exact URL and triggers, kept as it is."""
    delete: tuple[WebhookRegistration, ...]
    """Duplicates of ours, ours with wrong triggers, and our stale copies (other URL)."""
    create: bool
    """Whether our registration must be created."""
    foreign: tuple[WebhookRegistration, ...]
    """Other parties' registrations, left alone."""

    @property
    def changes(self) -> bool:
        """Whether the plan changes anything on the bridge."""
        return self.create or bool(self.delete)


def plan_webhook_reconcile(
    registrations: Sequence[WebhookRegistration],
    url: str,
    triggers: WebhookTrigger = WebhookTrigger.ALL,
    is_ours: Callable[[str], bool] | None = None,
) -> ReconcilePlan:
    """Plan the calls that leave exactly one registration of ``url`` with ``triggers``.

    ``is_ours(url)`` says whether a registration was made by us (for example the same webhook
    path on another host or port); a registration of exactly ``url`` is always ours. Of several
    exact matches the one with the lowest id is kept. A webhook cannot be edited, so ours with
    other triggers is deleted and created anew.
    """
    wanted = WebhookTrigger(int(triggers))
    ordered = sorted(registrations, key=lambda registration: registration.id)
    keep: WebhookRegistration | None = None
    delete: list[WebhookRegistration] = []
    foreign: list[WebhookRegistration] = []
    for registration in ordered:
        if registration.url == url:
            if keep is None and registration.triggers == wanted:
                keep = registration
            else:
                delete.append(registration)
        elif is_ours is not None and is_ours(registration.url):
            delete.append(registration)
        else:
            foreign.append(registration)
    return ReconcilePlan(
        keep=keep, delete=tuple(delete), create=keep is None, foreign=tuple(foreign)
    )
