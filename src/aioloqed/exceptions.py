"""The exception tree of aioloqed: every error derives from :class:`LoqedError`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from aioloqed.credentials import CredentialsProblem
    from aioloqed.webhook import RejectReason

CredentialName = Literal["bridge_key", "lock_key", "token"]


class LoqedError(Exception):
    """Base class of every error raised by aioloqed."""


class LoqedConnectionError(LoqedError):
    """The bridge (or cloud) could not be reached: refused, reset, DNS failure."""


class LoqedTimeoutError(LoqedConnectionError):
    """No answer within the request timeout."""


class LoqedAuthenticationError(LoqedError):
    """A key or token was refused. ``credential`` names which one."""

    def __init__(self, credential: CredentialName, message: str | None = None) -> None:
        """Store which credential was refused."""
        self.credential: CredentialName = credential
        super().__init__(message or f"The {credential.replace('_', ' ')} was refused")


class LoqedCredentialsError(LoqedError, ValueError):
    """Credentials input is invalid. Names the field and the reason, never the value."""

    def __init__(self, field: str, reason: CredentialsProblem, detail: str | None = None) -> None:
        """Store the field and the reason; ``detail`` must not contain secret material."""
        self.field = field
        self.reason = reason
        text = f"{field}: {reason.value.replace('_', ' ')}"
        if detail:
            text = f"{text} ({detail})"
        super().__init__(text)


class LoqedResponseError(LoqedError):
    """The bridge or cloud answered something unexpected. ``status`` is the HTTP status if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        """Store the HTTP status (the message never carries body secrets)."""
        self.status = status
        super().__init__(message)


class LoqedVerificationError(LoqedError):
    """An incoming webhook failed verification; ``reason`` says why."""

    def __init__(self, reason: RejectReason, message: str | None = None) -> None:
        """Store the rejection reason."""
        self.reason = reason
        super().__init__(message or f"Webhook rejected: {reason.value.replace('_', ' ')}")
