"""The report is made from the rows alone: table, verdicts, redaction, how the run was made."""

from __future__ import annotations

from reliability.model import Outcome, RunInfo, failed_to_run
from reliability.report import cell, read_intro, render, seconds_text, summary


def row(key: str, passed: bool, observed: str = "seen") -> Outcome:
    return Outcome(key, f"Scenario {key}", "did | this", "that", observed, passed)


def test_table_has_one_row_per_outcome_with_its_verdict() -> None:
    text = render(
        RunInfo("full", "2026-01-01 00:00"), [row("a", True), row("b", False)], intro="# T"
    )
    lines = [line for line in text.splitlines() if line.startswith("| Scenario")]
    assert lines == [
        "| Scenario a | did \\| this | that | seen | pass |",
        "| Scenario b | did \\| this | that | seen | **FAIL** |",
    ]
    assert "1 of 2 scenarios passed; failed: Scenario b." in text
    assert text.startswith("# T\n")


def test_secrets_never_reach_the_report() -> None:
    outcome = row("a", False, observed="key AAAA-secret-AAAA in log")
    outcome.details = ["again AAAA-secret-AAAA"]
    text = render(
        RunInfo("full", "x"),
        [outcome],
        intro="# T",
        redact=lambda s: s.replace("AAAA-secret-AAAA", "***"),
    )
    assert "AAAA-secret-AAAA" not in text
    assert "key *** in log" in text
    assert "- again ***" in text


def test_run_facts_say_what_was_accelerated() -> None:
    info = RunInfo(
        "quick",
        "2026-01-01 00:00",
        seconds=95,
        home_assistant="2025.4.4",
        python="3.13.0",
        intervals={"RECONCILE_INTERVAL": 600.0, "FALLBACK_POLL_INTERVAL": 45.0},
        overrides={"RECONCILE_INTERVAL": 60.0},
        notes=["Partial run: forged."],
    )
    text = render(info, [row("a", True)], intro="# T")
    assert "`RECONCILE_INTERVAL` 10 min -> 1 min" in text
    assert "`FALLBACK_POLL_INTERVAL` 45 s" in text
    assert "Home Assistant 2025.4.4" in text
    assert "- Partial run: forged." in text
    assert "Not accelerated" not in text
    plain = render(RunInfo("full", "x"), [row("a", True)], intro="# T")
    assert "Not accelerated" in plain


def test_failed_to_run_is_a_failed_row() -> None:
    outcome = failed_to_run("k", "K", "did", "crit", "boom")
    assert not outcome.passed
    assert outcome.observed == "the scenario could not finish: boom"
    assert outcome.to_json()["key"] == "k"


def test_small_helpers() -> None:
    assert cell("a\n b |c") == "a b \\|c"
    assert seconds_text(45) == "45 s"
    assert seconds_text(600) == "10 min"
    assert seconds_text(90) == "90 s"
    assert summary([row("a", True)]) == "1 of 1 scenarios passed."
    assert read_intro().startswith("# Reliability and security report")
