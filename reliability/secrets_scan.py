"""Find the run's secrets in text: keys in any common spelling, webhook ids, signed commands.

Pure functions. A key is looked for as given (standard Base64), without padding, URL-safe,
percent-encoded and as hex of its bytes; a webhook id as it is. A signed command is recognised
by its shape whatever its timestamp: any Base64 token (percent-encoded or not) that decodes to
the 53-byte message of protocol 2.1 (8 zero bytes, protocol 2, command type 7).
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from dataclasses import dataclass, field
import re
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from reliability.logs import RECORD

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

REDACTED = "***"
SIGNED_COMMAND_LENGTH = 53
SIGNED_COMMAND_PREFIX = bytes(8) + b"\x02\x07"
_TOKEN = re.compile(r"[A-Za-z0-9+/=%_-]{60,}")
PIECE = 12
_PIECE = re.compile(rf"[A-Za-z0-9+/=%_-]{{{PIECE},}}")
_MIN_VARIANT = 8
MESSAGE_HEAD = 60


@dataclass(frozen=True, slots=True, repr=False)
class Secret:
    """A value that must not leak, with what it is (the value never shows in repr)."""

    kind: str
    """``bridge key``, ``lock key``, ``backend key`` or ``webhook id``."""
    owner: str
    """Whose it is, e.g. ``bridge main`` or ``entry LOQED AABBCC``."""
    value: str

    def __repr__(self) -> str:
        """Describe without the value."""
        return f"Secret({self.kind!r}, {self.owner!r})"

    def variants(self) -> frozenset[str]:
        """Every spelling of the value worth looking for."""
        spellings = {self.value}
        if self.kind.endswith("key"):
            try:
                raw = base64.b64decode(self.value, validate=True)
            except (binascii.Error, ValueError):
                raw = b""
            if raw:
                standard = base64.b64encode(raw).decode()
                urlsafe = base64.urlsafe_b64encode(raw).decode()
                spellings |= {
                    standard,
                    standard.rstrip("="),
                    urlsafe,
                    urlsafe.rstrip("="),
                    quote(standard, safe=""),
                    raw.hex(),
                    raw.hex().upper(),
                }
        return frozenset(s for s in spellings if len(s) >= _MIN_VARIANT)


@dataclass(slots=True)
class Finding:
    """Where one secret (or signed commands) turned up, how often, and who wrote it."""

    where: str
    what: str
    count: int = 0
    loggers: Counter[str] = field(default_factory=Counter)
    lines: list[int] = field(default_factory=list)
    """First line numbers (1-based), at most five."""
    messages: Counter[str] = field(default_factory=Counter)
    """How the log records that hold it begin (the secret in them is removed by the report)."""

    def describe(self) -> str:
        """Return one line for the report (the report's redaction removes the secret)."""
        writers = ", ".join(f"{name} ({n})" for name, n in self.loggers.most_common()) or "-"
        lines = ", ".join(str(n) for n in self.lines)
        text = (
            f"{self.what} in {self.where}: {self.count} time(s), lines {lines}; "
            f"written by {writers}"
        )
        if self.messages:
            text += "; in records like " + ", ".join(
                f"'{head}...' ({n})" for head, n in self.messages.most_common(4)
            )
        return text


def is_signed_command(token: str) -> bool:
    """Say whether ``token`` is a signed ``/to_lock`` message.

    The token may be percent-encoded and may follow a ``name=``.
    """
    return any(_decodes_to_command(part) for part in {token, *token.split("=")} if part)


def _decodes_to_command(token: str) -> bool:
    text = unquote(token)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            raw = decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            continue
        if len(raw) == SIGNED_COMMAND_LENGTH and raw.startswith(SIGNED_COMMAND_PREFIX):
            return True
    return False


def _record_start(line: str, previous: tuple[str, str]) -> tuple[str, str]:
    """Return the logger and the message start of the log record that ``line`` belongs to."""
    match = RECORD.match(line)
    if match is not None:
        return match.group("logger"), match.group("message")
    return previous


def scan(text: str, secrets: Sequence[Secret], where: str) -> list[Finding]:
    """Return one finding per secret (and one for signed commands) found in ``text``.

    The message starts kept in the findings have the secrets taken out before they are cut.
    """
    findings: dict[str, Finding] = {}
    redact = Redactor(secrets)
    patterns = [(s, s.variants()) for s in secrets]
    writer, head = "-", ""
    for number, line in enumerate(text.splitlines(), start=1):
        writer, head = _record_start(line, (writer, head))
        hits = [f"{s.kind} of {s.owner}" for s, spellings in patterns if _contains(line, spellings)]
        if any(is_signed_command(token) for token in _TOKEN.findall(line)):
            hits.append("signed command")
        for what in hits:
            finding = findings.setdefault(what, Finding(where=where, what=what))
            finding.count += 1
            finding.loggers[writer] += 1
            if head:
                finding.messages[redact(head)[:MESSAGE_HEAD]] += 1
            if len(finding.lines) < 5:  # noqa: PLR2004 - enough to find them
                finding.lines.append(number)
    return list(findings.values())


def _contains(line: str, spellings: Iterable[str]) -> bool:
    return any(spelling in line for spelling in spellings)


def redactor(secrets: Sequence[Secret]) -> Redactor:
    """Return a function that replaces every spelling of every secret by ``***``."""
    return Redactor(secrets)


class Redactor:
    """Callable that removes the secrets (and signed commands) from text."""

    def __init__(self, secrets: Sequence[Secret]) -> None:
        """Collect every spelling, longest first (so a shorter one never leaves a tail)."""
        spellings = {v for s in secrets for v in s.variants()}
        self._spellings = sorted(spellings, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """Return ``text`` without secrets, without pieces of them, and without signed commands.

        A piece is a run of 12 or more Base64/hex characters that is part of a secret (text cut
        short in the middle of a secret must not leave its first half).
        """
        for spelling in self._spellings:
            text = text.replace(spelling, REDACTED)
        text = _PIECE.sub(lambda m: REDACTED if self._is_piece(m.group(0)) else m.group(0), text)
        return _TOKEN.sub(
            lambda m: REDACTED if is_signed_command(m.group(0)) else m.group(0),
            text,
        )

    def _is_piece(self, token: str) -> bool:
        """Whether ``token`` holds 12 or more consecutive characters of a secret."""
        windows = {token[i : i + PIECE] for i in range(len(token) - PIECE + 1)}
        return any(window in spelling for spelling in self._spellings for window in windows)
