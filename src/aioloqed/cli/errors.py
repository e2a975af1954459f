"""Exit codes of the ``aioloqed`` command and the one-line messages of expected failures."""

from __future__ import annotations

from enum import IntEnum

from aioloqed.credentials import CredentialsProblem
from aioloqed.exceptions import (
    LoqedAuthenticationError,
    LoqedConnectionError,
    LoqedCredentialsError,
    LoqedError,
    LoqedResponseError,
    LoqedTimeoutError,
)


class ExitCode(IntEnum):
    """Process exit codes (documented in docs/cli.md)."""

    OK = 0
    ERROR = 1
    """Any other failure, or the CLI extra is not installed."""
    USAGE = 2
    """Unknown command or option, bad option value."""
    CONFIG = 3
    """The config file or an environment variable holds something invalid."""
    MISSING_CREDENTIALS = 4
    """A value the command needs (address, key, key id) was not given."""
    UNREACHABLE = 5
    """The bridge did not answer: refused, unreachable, timed out."""
    AUTHENTICATION = 6
    """The bridge refused the key."""
    BAD_RESPONSE = 7
    """The bridge answered something unexpected (HTTP error, not JSON)."""
    INTERRUPTED = 130
    """Stopped with Ctrl-C (except ``watch``, for which that is the normal end)."""


_KEY_SOURCES = {
    "bridge_key": "LOQED_BRIDGE_KEY or --config",
    "lock_key": "LOQED_LOCK_KEY or --config",
    "local_key_id": "LOQED_LOCAL_KEY_ID or --config",
    "host": "--host, LOQED_HOST or --config",
}


class CliError(Exception):
    """An expected failure: one line for stderr and an exit code."""

    def __init__(self, message: str, code: ExitCode) -> None:
        """Store the message and the exit code."""
        super().__init__(message)
        self.code = code


def missing(what: str, field: str) -> CliError:
    """Return the error for a value the command needs but nobody gave."""
    return CliError(
        f"Missing {what}: set {_KEY_SOURCES.get(field, field)}", ExitCode.MISSING_CREDENTIALS
    )


def explain(err: LoqedError) -> CliError:  # noqa: PLR0911 - one answer per error kind
    """Turn a library error into the CLI's message and exit code (never a key's value)."""
    if isinstance(err, LoqedCredentialsError):
        field = str(err.field)
        if err.reason is CredentialsProblem.MISSING:
            return missing(field.replace("_", " "), field)
        source = _KEY_SOURCES.get(field)
        hint = f" (check {source})" if source else ""
        return CliError(f"Invalid {err}{hint}", ExitCode.CONFIG)
    if isinstance(err, LoqedAuthenticationError):
        source = _KEY_SOURCES.get(err.credential)
        hint = f"; check {source}" if source else ""
        return CliError(f"{err}{hint}", ExitCode.AUTHENTICATION)
    if isinstance(err, LoqedTimeoutError):
        return CliError(f"{err}; is the bridge on and reachable?", ExitCode.UNREACHABLE)
    if isinstance(err, LoqedConnectionError):
        return CliError(
            f"{err}; check the address and that this machine can reach the bridge",
            ExitCode.UNREACHABLE,
        )
    if isinstance(err, LoqedResponseError):
        return CliError(str(err), ExitCode.BAD_RESPONSE)
    return CliError(str(err) or type(err).__name__, ExitCode.ERROR)
