"""Repair issues: each one raised when it should be, and gone once the cause is gone."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.components.repairs import RepairsFlowManager, repairs_flow_manager
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.loqed_bridge.commands import lock_key_issue_id
from custom_components.loqed_bridge.const import DOMAIN
from custom_components.loqed_bridge.repairs import LockKeyRepairFlow, async_create_fix_flow
from loqed_emulator import BoltState

from . import lock_payload, make_entry, post_signed, setup_integration, state_of, tick

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from loqed_emulator import EmulatedBridge

    from . import HaClient


@pytest.fixture
async def repairs(hass: HomeAssistant) -> RepairsFlowManager:
    """The repairs integration, set up before Home Assistant's HTTP server starts."""
    assert await async_setup_component(hass, "repairs", {})
    manager = repairs_flow_manager(hass)
    assert manager is not None
    return manager


async def test_fixing_the_lock_key_issue_starts_reauth(
    repairs: RepairsFlowManager, hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    issue_id = lock_key_issue_id(init_integration.entry_id)
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key="lock_key_rejected",
        translation_placeholders={"entry_title": init_integration.title},
        data={"entry_id": init_integration.entry_id},
    )
    result = await repairs.async_init(DOMAIN, data={"issue_id": issue_id})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    assert result.get("description_placeholders") == {"entry_title": init_integration.title}
    result = await repairs.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == ["reauth"]


async def test_an_issue_for_a_removed_entry_fixes_nothing(hass: HomeAssistant) -> None:
    issue_data: tuple[dict[str, str | int | float | None] | None, ...] = (
        {"entry_id": "gone"},
        None,
    )
    for data in issue_data:
        flow = await async_create_fix_flow(hass, "lock_key_rejected_gone", data)
        assert isinstance(flow, LockKeyRepairFlow)
        flow.hass = hass
        flow.handler = DOMAIN
        flow.issue_id = "lock_key_rejected_gone"
        result = await flow.async_step_confirm({})
        assert result["type"] is FlowResultType.CREATE_ENTRY
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []


def issue(hass: HomeAssistant, kind: str, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{kind}_{entry.entry_id}")


async def test_push_unhealthy_for_long_raises_an_issue_that_clears_itself(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
) -> None:
    coordinator = init_integration.runtime_data
    # A webhook gets lost: only a status read shows the change.
    await emulator.set_faults(lose_next_webhooks=1)
    emulator.turn_knob(BoltState.DAY_LOCK)
    await emulator.wait_settled()
    await coordinator.async_refresh()
    assert not coordinator.push_healthy
    await tick(hass, freezer, timedelta(minutes=20))
    assert issue(hass, "push_unhealthy", init_integration) is None  # not long enough yet
    await tick(hass, freezer, timedelta(minutes=11))
    raised = issue(hass, "push_unhealthy", init_integration)
    assert raised is not None
    assert raised.severity is ir.IssueSeverity.WARNING
    assert raised.translation_placeholders == {"entry_title": "Front door", "minutes": "30"}
    # The next verified webhook shows push works again (signed here: the emulator's clock is
    # not the frozen one of this test).
    payload = lock_payload(emulator, "STATE_CHANGED_NIGHT_LOCK")
    assert await post_signed(ha_client, emulator, payload) == 200
    assert coordinator.push_healthy
    assert issue(hass, "push_unhealthy", init_integration) is None


async def test_no_push_issue_where_another_explanation_exists(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
) -> None:
    """A bridge that does not sign its webhooks is logged, not a repair issue."""
    await emulator.set_faults(unsigned_webhooks=True)
    emulator.turn_knob(BoltState.DAY_LOCK)
    await emulator.wait_settled()
    await tick(hass, freezer, timedelta(minutes=61))
    assert not init_integration.runtime_data.push_healthy
    assert issue(hass, "push_unhealthy", init_integration) is None


async def test_no_push_issue_while_the_bridge_is_offline(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
) -> None:
    """An unreachable bridge makes its entities unavailable; that says enough."""
    coordinator = init_integration.runtime_data
    coordinator.bridge.status_retries = 1
    await emulator.set_bridge_down(down=True)
    for _ in range(5):
        await tick(hass, freezer, timedelta(minutes=10))
    assert not coordinator.last_update_success
    assert not coordinator.push_healthy
    assert issue(hass, "push_unhealthy", init_integration) is None
    assert state_of(hass, "lock.front_door").state == "unavailable"


async def test_clock_skew_raises_an_issue_and_late_webhooks_still_count_as_hints(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
) -> None:
    await emulator.set_faults(clock_offset=-125)
    for state in (BoltState.DAY_LOCK, BoltState.NIGHT_LOCK):
        emulator.turn_knob(state)
        await emulator.wait_settled()
        await hass.async_block_till_done()
    assert issue(hass, "clock_skew", init_integration) is None  # two could be slow deliveries
    emulator.turn_knob(BoltState.DAY_LOCK)
    await emulator.wait_settled()
    await hass.async_block_till_done()
    raised = issue(hass, "clock_skew", init_integration)
    assert raised is not None
    placeholders = dict(raised.translation_placeholders or {})
    assert placeholders.pop("skew") in {"125", "126"}  # whole seconds against our clock
    assert placeholders == {"entry_title": "Front door", "window": "30"}
    push = init_integration.runtime_data.push
    assert push.counters["stale"] == 3
    assert push.skew_estimate == pytest.approx(-125, abs=2)
    # The authentic but late webhooks made the integration read the status.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, "lock.front_door").state == "unlocked"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=6))
    await hass.async_block_till_done(wait_background_tasks=True)

    # The clock is put right: the next webhook is on time and the issue goes.
    await emulator.set_faults(clock_offset=0)
    emulator.turn_knob(BoltState.NIGHT_LOCK)
    await emulator.wait_settled()
    await hass.async_block_till_done()
    assert issue(hass, "clock_skew", init_integration) is None
    assert state_of(hass, "lock.front_door").state == "locked"


async def test_many_foreign_webhooks_raise_an_issue_until_they_are_removed(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    for n in range(4):
        emulator.registry.add(f"http://127.0.0.1:9/other-{n}", 511)
    entry = make_entry(emulator)
    await setup_integration(hass, entry)
    raised = issue(hass, "foreign_webhooks", entry)
    assert raised is not None
    assert raised.translation_placeholders == {"entry_title": "Front door", "count": "4"}
    first = next(r for r in emulator.registry if "other-0" in r.url)
    emulator.registry.remove(first.id)
    await entry.runtime_data.async_reconcile()
    assert issue(hass, "foreign_webhooks", entry) is None
    # Removing the entry removes every issue of it.
    for n in range(1, 5):
        emulator.registry.add(f"http://127.0.0.1:9/more-{n}", 511)
    await entry.runtime_data.async_reconcile()
    assert issue(hass, "foreign_webhooks", entry) is not None
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert issue(hass, "foreign_webhooks", entry) is None
