"""The secrets scanner finds keys in every spelling, webhook ids and signed commands."""

from __future__ import annotations

import base64
from urllib.parse import quote

from reliability.secrets_scan import Redactor, Secret, is_signed_command, scan

from aioloqed import LockAction, encode_command, sign_command

KEY = bytes(range(32))
KEY_B64 = base64.b64encode(KEY).decode()
WEBHOOK_ID = "f" * 16 + "0123456789abcdef" * 3
SECRETS = [
    Secret("bridge key", "bridge main", KEY_B64),
    Secret("webhook id", "entry X", WEBHOOK_ID),
]
COMMAND = encode_command(
    sign_command(lock_key=KEY, local_key_id=3, action=LockAction.OPEN, timestamp=1767225600)
)


def test_repr_hides_the_value() -> None:
    assert KEY_B64 not in repr(SECRETS[0])
    assert "bridge key" in repr(SECRETS[0])


def test_every_spelling_of_a_key_is_found() -> None:
    spellings = [
        KEY_B64,
        KEY_B64.rstrip("="),
        base64.urlsafe_b64encode(KEY).decode(),
        quote(KEY_B64, safe=""),
        KEY.hex(),
        KEY.hex().upper(),
    ]
    for spelling in spellings:
        findings = scan(f"x {spelling} y", SECRETS, "log")
        assert [f.what for f in findings] == ["bridge key of bridge main"], spelling


def test_findings_name_the_writer_and_lines() -> None:
    text = "\n".join(
        [
            (
                "2026-01-01 00:00:00.000 WARNING (MainThread) [homeassistant.components.webhook] "
                f"Webhook {WEBHOOK_ID} only supports POST"
            ),
            "  continuation without secret",
            "2026-01-01 00:00:01.000 INFO (MainThread) [custom_components.loqed_bridge] fine",
            f"  traceback line {WEBHOOK_ID}",
        ]
    )
    (finding,) = scan(text, SECRETS, "home-assistant.log")
    assert finding.count == 2
    assert finding.lines == [1, 4]
    assert dict(finding.loggers) == {
        "homeassistant.components.webhook": 1,
        "custom_components.loqed_bridge": 1,
    }
    assert WEBHOOK_ID not in finding.describe()
    assert "home-assistant.log" in finding.describe()


def test_signed_commands_are_found_in_any_encoding() -> None:
    raw = base64.b64encode(
        sign_command(lock_key=KEY, local_key_id=3, action=LockAction.LOCK, timestamp=5)
    ).decode()
    assert is_signed_command(COMMAND)
    assert is_signed_command(raw)
    assert is_signed_command(raw.rstrip("="))
    assert not is_signed_command(base64.b64encode(bytes(53)).decode())
    assert not is_signed_command("A" * 80)
    (finding,) = scan(f"GET /to_lock?command_signed_base64={COMMAND}", [], "emulator log")
    assert finding.what == "signed command"


def test_nothing_found_in_clean_text() -> None:
    assert scan("GET /status answered 200\n" + "b" * 100, SECRETS, "log") == []


def test_redactor_removes_every_secret_and_command() -> None:
    redact = Redactor(SECRETS)
    text = redact(f"{KEY.hex()} {WEBHOOK_ID} {quote(KEY_B64, safe='')} {COMMAND} keep")
    assert text == "*** *** *** *** keep"


def test_pieces_of_secrets_are_removed_too() -> None:
    redact = Redactor(SECRETS)
    cut = f"Webhook {WEBHOOK_ID[:40]}..."
    assert redact(cut) == "Webhook ***..."
    assert redact(f"key {KEY.hex()[5:30]} end") == "key *** end"
    assert redact("ordinary_words_and_more_words 127.0.0.1:8123") == (
        "ordinary_words_and_more_words 127.0.0.1:8123"
    )


def test_record_starts_in_findings_never_hold_a_piece_of_the_secret() -> None:
    line = (
        "2026-01-01 00:00:00.000 WARNING (MainThread) [homeassistant.components.webhook] "
        f"Webhook {WEBHOOK_ID} only supports POST methods but PUT was received"
    )
    (finding,) = scan(line, SECRETS, "log")
    (head,) = finding.messages
    assert head.startswith("Webhook *** only supports")
    assert WEBHOOK_ID[:12] not in finding.describe()


def test_a_piece_glued_to_other_text_is_removed() -> None:
    redact = Redactor(SECRETS)
    # over-redaction is fine: the whole run of URL-ish characters goes
    assert redact(f"path /api/webhook/{WEBHOOK_ID[:20]} end") == "path *** end"
    assert redact(f"webhook_id={WEBHOOK_ID[3:30]}x, more") == "***, more"
