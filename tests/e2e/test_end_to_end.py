"""End to end: a real Home Assistant process, the integration, the emulated bridge.

Each scenario runs once per module in a child process inside a private network namespace
(``python -m tools.netns -- python -m tools.e2e_scenario ...``) and prints a JSON report; the tests
below assert on what a user would see in it. Skipped only where the machine does not allow a
private network namespace (creating one needs root or unprivileged user namespaces).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import subprocess
import sys
from typing import Any

import pytest
from tools.netns import can_create_netns, netns_command

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SCENARIO_TIMEOUT = 100  # seconds; a run takes about 20
MOTOR_STATES = {"lock": "locking", "unlock": "unlocking", "open": "opening"}
STEP_NAMES = ["unlock", "lock", "open", "knob lock", "knob unlock"]


def run_scenario(*args: str) -> dict[str, Any]:
    if not can_create_netns():
        pytest.skip(
            "this machine does not allow a private network namespace (`unshare -n` needs root "
            "or unprivileged user namespaces); a real Home Assistant is never run outside one"
        )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO), str(REPO / "src"), str(REPO / "emulator"), env.get("PYTHONPATH", "")]
    )
    command = netns_command([sys.executable, "-m", "tools.e2e_scenario", *args])
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        command,
        capture_output=True,
        text=True,
        timeout=SCENARIO_TIMEOUT,
        cwd=REPO,
        env=env,
        check=False,
    )
    lines = completed.stdout.strip().splitlines()
    assert lines, f"no report (exit {completed.returncode}); stderr:\n{completed.stderr[-4000:]}"
    report: dict[str, Any] = json.loads(lines[-1])
    report["_exit_code"] = completed.returncode
    return report


def explain(report: dict[str, Any]) -> str:
    """What to show when an assertion fails: the error and the logs the scenario collected."""
    keys = ("error", "integration_log_problems", "hass_log_tail", "emulator_output")
    return json.dumps({k: report.get(k) for k in keys}, indent=1)[-6000:]


@pytest.fixture(scope="module")
def bare_report() -> dict[str, Any]:
    return run_scenario("bare")


@pytest.fixture(scope="module")
def loqed_report() -> dict[str, Any]:
    return run_scenario("loqed", "--motor-time", "1.0", "--relatch-time", "1.5")


def steps_by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["name"]: step for step in report.get("steps", [])}


# ---------------------------------------------------------------------- Home Assistant alone


def test_home_assistant_starts_onboarded_and_answers_with_a_token(
    bare_report: dict[str, Any],
) -> None:
    assert bare_report["ok"], explain(bare_report)
    assert bare_report["state"] == "RUNNING"
    assert bare_report["version"] == "2025.4.4"
    assert bare_report["onboarding_status"] == 404  # nothing left to onboard: no browser needed
    assert bare_report["user"]["is_admin"] is True
    assert bare_report["internal_url"] == bare_report["url"]
    assert bare_report["url"].startswith("http://127.0.0.1:")


def test_home_assistant_restarts_on_the_same_config_and_logs_in_again(
    bare_report: dict[str, Any],
) -> None:
    assert bare_report["ok"], explain(bare_report)
    assert bare_report["restart"] == {"state": "RUNNING", "same_port": True, "new_process": True}


def test_home_assistant_is_stopped_and_its_files_removed(bare_report: dict[str, Any]) -> None:
    assert bare_report["exit_code"] == 0
    assert bare_report["process_gone"] is True
    assert bare_report["config_dir_removed"] is True


# ---------------------------------------------------------------------- the integration


def test_config_flow_over_rest_creates_a_loaded_entry(loqed_report: dict[str, Any]) -> None:
    assert loqed_report["ok"], explain(loqed_report)
    assert loqed_report["flow_result_state"] == "loaded"
    assert [(e["state"], e["source"]) for e in loqed_report["entries"]] == [("loaded", "user")]
    assert loqed_report["lock_entity"].startswith("lock.")
    assert loqed_report["initial_state"] == "locked"  # the emulator starts in night lock


def test_the_bridge_calls_home_assistant_back_on_loopback(loqed_report: dict[str, Any]) -> None:
    assert loqed_report["ok"], explain(loqed_report)
    hosts = [r["host"] for r in loqed_report["registrations"]]
    assert len(hosts) == 1
    assert hosts[0].startswith("127.0.0.1:")


def test_every_step_reaches_its_states_in_order(loqed_report: dict[str, Any]) -> None:
    assert loqed_report["ok"], explain(loqed_report)
    steps = steps_by_name(loqed_report)
    assert list(steps) == STEP_NAMES
    for step in steps.values():
        assert step["ok"], step
        assert [a["state"] for a in step["arrivals"]] == step["expected"]


def test_commands_show_the_motion_at_once(loqed_report: dict[str, Any]) -> None:
    """Lock, unlock and open show locking / unlocking / opening before the motor finishes."""
    assert loqed_report["ok"], explain(loqed_report)
    motor = loqed_report["motor_time"]
    for name, motion in MOTOR_STATES.items():
        step = steps_by_name(loqed_report)[name]
        timeline = [(a["state"], a["after"]) for a in step["timeline"]]
        shown = [after for state, after in timeline if state == motion]
        assert shown, step
        assert shown[0] < motor, step
        final = step["arrivals"][-1]["after"]
        assert shown[0] < final, step


def test_each_state_arrives_by_signed_webhook(loqed_report: dict[str, Any]) -> None:
    """Every final state came with a signed webhook the bridge delivered (HTTP 200), and
    reached Home Assistant's state machine within a second of being sent."""
    assert loqed_report["ok"], explain(loqed_report)
    for step in loqed_report["steps"]:
        assert len(step["push"]) == len(step["expected"]), step
        for evidence in step["push"]:
            assert evidence["outcome"] == "delivered", step
            assert evidence["status"] == 200, step
            assert evidence["signed"] is True, step
            assert 0 <= evidence["latency"] < 1.0, step


def test_no_status_poll_was_needed(loqed_report: dict[str, Any]) -> None:
    """Push alone carried every state: the integration read /status for none of them."""
    assert loqed_report["ok"], explain(loqed_report)
    for step in loqed_report["steps"]:
        assert step["polls_during"] == 0, step
    assert loqed_report["polls_after_steps"] == loqed_report["polls_before_steps"]


def test_a_knob_turned_at_the_door_arrives_within_a_second(loqed_report: dict[str, Any]) -> None:
    assert loqed_report["ok"], explain(loqed_report)
    for name, state in (("knob lock", "locked"), ("knob unlock", "unlocked")):
        step = steps_by_name(loqed_report)[name]
        assert step["arrivals"][0]["state"] == state
        assert step["arrivals"][0]["after"] < 1.0, step


def test_logs_are_clean_and_show_no_key(loqed_report: dict[str, Any]) -> None:
    assert loqed_report["ok"], explain(loqed_report)
    assert loqed_report["integration_log_problems"] == []
    assert loqed_report["secrets_in_logs"] == []
    assert loqed_report["config_dir_removed"] is True
