"""The acceleration hook shortens the named constants when their module is imported, no others."""

from __future__ import annotations

from datetime import timedelta
import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from reliability.cli import DEFAULT_HEALTHY_POLL, interval_overrides, parse_args
from reliability.hass_site import sitecustomize
from reliability.intervals import product_intervals
from reliability.model import RunInfo
from reliability.report import render
from reliability.runner import budget_of, interval_facts
from reliability.scenarios import SCENARIOS
from reliability.stack import OVERRIDES_ENV, hass_environment
from tools.hass_harness import REPO_ROOT

if TYPE_CHECKING:
    from pathlib import Path

CONST = """
from datetime import timedelta
RECONCILE_INTERVAL = timedelta(minutes=10)
RECONCILE_MIN_SPACING = 60.0
COUNT = 2
NAME = "x"
"""


def test_overrides_apply_when_the_module_is_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "reliabilityfake"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "const.py").write_text(CONST, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    environ = {
        sitecustomize.ENVIRONMENT: json.dumps(
            {"RECONCILE_INTERVAL": 60, "RECONCILE_MIN_SPACING": 6, "COUNT": 1, "NAME": 3, "NEW": 1}
        )
    }
    assert sitecustomize.install(environ, target="reliabilityfake.const")
    try:
        from reliabilityfake import const  # type: ignore[import-not-found]
    finally:
        sys.modules.pop("reliabilityfake.const", None)
        sys.modules.pop("reliabilityfake", None)
    assert timedelta(seconds=60) == const.RECONCILE_INTERVAL
    assert const.RECONCILE_MIN_SPACING == 6.0
    assert const.COUNT == 1
    assert const.NAME == "x"  # not a number: left alone
    assert not hasattr(const, "NEW")
    assert (
        "accelerated reliabilityfake.const: RECONCILE_INTERVAL=0:01:00" in capsys.readouterr().err
    )


def test_nothing_happens_without_overrides() -> None:
    assert not sitecustomize.install({})
    assert hass_environment({}) == {}


def test_home_assistant_gets_the_hook_first_on_its_path() -> None:
    env = hass_environment({"RECONCILE_INTERVAL": 60.0})
    assert env["PYTHONPATH"].split(":")[0].endswith("reliability/hass_site")
    assert json.loads(env[OVERRIDES_ENV]) == {"RECONCILE_INTERVAL": 60.0}


def test_the_healthy_poll_interval_option_takes_whole_minutes() -> None:
    assert parse_args([]).healthy_poll_interval == DEFAULT_HEALTHY_POLL
    assert parse_args(["--healthy-poll-interval", "0"]).healthy_poll_interval == 0
    assert parse_args(["--healthy-poll-interval", "180"]).healthy_poll_interval == 180.0
    for wrong in ("90", "-60", "two"):
        with pytest.raises(SystemExit):
            parse_args(["--healthy-poll-interval", wrong])


def test_a_short_healthy_interval_lowers_the_options_bound_with_it() -> None:
    product = {"MIN_HEALTHY_POLL_MINUTES": 5.0, "MAX_HEALTHY_POLL_MINUTES": 60.0}
    assert interval_overrides(reconcile=60, healthy_poll=120, product=product) == {
        "RECONCILE_INTERVAL": 60,
        "HEALTHY_POLL_INTERVAL": 120,
        "MIN_HEALTHY_POLL_MINUTES": 2.0,
    }
    assert interval_overrides(reconcile=0, healthy_poll=300, product=product) == {
        "HEALTHY_POLL_INTERVAL": 300
    }
    assert interval_overrides(reconcile=0, healthy_poll=0, product=product) == {}
    with pytest.raises(ValueError, match="longer than the integration allows"):
        interval_overrides(reconcile=0, healthy_poll=7200, product=product)


def _healthy_intervals_in_force(overrides: dict[str, float]) -> list[str]:
    """The integration's healthy interval before and after an options flow stored it.

    Run in a Python that gets the hook as Home Assistant does. The options form shows the
    interval in force in minutes; saving the form (as the replay scenario does to set the
    callback URL) stores that number.
    """
    code = (
        "from custom_components.loqed_bridge.options import LoqedOptions\n"
        "default = LoqedOptions.from_mapping({}).healthy_interval\n"
        "stored = {'healthy_poll_minutes': int(default.total_seconds() // 60)}\n"
        "after = LoqedOptions.from_mapping(stored).healthy_interval\n"
        "print(default.total_seconds(), after.total_seconds())\n"
    )
    env = {**os.environ, **hass_environment(overrides)}
    env.pop("PYTHONSAFEPATH", None)
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.split()


def test_the_shortened_healthy_interval_stays_in_force_through_the_options() -> None:
    overrides = interval_overrides(reconcile=0, healthy_poll=120, product=product_intervals())
    assert _healthy_intervals_in_force(overrides) == ["120.0", "120.0"]
    # Without the lower bound, saved options would bring 5 minutes back.
    assert _healthy_intervals_in_force({"HEALTHY_POLL_INTERVAL": 120}) == ["120.0", "300.0"]


def test_the_report_names_every_constant_set() -> None:
    product = {
        "HEALTHY_POLL_INTERVAL": 600.0,
        "FALLBACK_POLL_INTERVAL": 45.0,
        "RECONCILE_INTERVAL": 1800.0,
        "MIN_HEALTHY_POLL_MINUTES": 5.0,
    }
    overrides = {
        "RECONCILE_INTERVAL": 60.0,
        "HEALTHY_POLL_INTERVAL": 120.0,
        "MIN_HEALTHY_POLL_MINUTES": 2.0,
    }
    intervals, reported, notes = interval_facts(product, overrides)
    assert set(intervals) == {
        "HEALTHY_POLL_INTERVAL",
        "FALLBACK_POLL_INTERVAL",
        "RECONCILE_INTERVAL",
    }
    assert reported == {"RECONCILE_INTERVAL": 60.0, "HEALTHY_POLL_INTERVAL": 120.0}
    text = render(
        RunInfo("full", "x", intervals=intervals, overrides=reported, notes=notes),
        [],
        intro="# T",
    )
    assert "`HEALTHY_POLL_INTERVAL` 10 min -> 2 min" in text
    assert "`RECONCILE_INTERVAL` 30 min -> 1 min" in text
    assert "- Also set in the Home Assistant process: `MIN_HEALTHY_POLL_MINUTES` 5 -> 2 (" in text


def test_the_lost_webhooks_budget_follows_the_intervals_in_force() -> None:
    class Intervals:
        def __init__(self, values: dict[str, float]) -> None:
            self.values = values

        def interval(self, name: str) -> float:
            return self.values[name]

    (lost,) = [s for s in SCENARIOS if s.key == "lost"]
    short = Intervals({"HEALTHY_POLL_INTERVAL": 120.0, "FALLBACK_POLL_INTERVAL": 45.0})
    product = Intervals({"HEALTHY_POLL_INTERVAL": 600.0, "FALLBACK_POLL_INTERVAL": 45.0})
    assert budget_of(short, lost) == lost.budget + 120 + 2 * 45  # type: ignore[arg-type]
    assert budget_of(product, lost) == lost.budget + 600 + 2 * 45  # type: ignore[arg-type]
    others = [s for s in SCENARIOS if s.key != "lost"]
    assert all(budget_of(short, s) == s.budget for s in others)  # type: ignore[arg-type]
