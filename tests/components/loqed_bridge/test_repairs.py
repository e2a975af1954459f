"""The lock-key repair leads to entering the keys again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.repairs import RepairsFlowManager, repairs_flow_manager
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest

from custom_components.loqed_bridge.commands import lock_key_issue_id
from custom_components.loqed_bridge.const import DOMAIN
from custom_components.loqed_bridge.repairs import LockKeyRepairFlow, async_create_fix_flow

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry


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
