"""Repair flows: a lock key the lock ignores is fixed by entering the keys again (reauth)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.data_entry_flow import FlowResult


class LockKeyRepairFlow(ConfirmRepairFlow):
    """Confirm, then start reauthentication of the entry."""

    def __init__(self, entry_id: str | None) -> None:
        """Remember which entry the issue is about."""
        super().__init__()
        self._entry_id = entry_id

    async def async_step_confirm(self, user_input: dict[str, str] | None = None) -> FlowResult:
        """Start reauth when the user confirms; the issue goes when a command is confirmed."""
        if (
            user_input is not None
            and self._entry_id is not None
            and (entry := self.hass.config_entries.async_get_entry(self._entry_id))
        ):
            entry.async_start_reauth(self.hass)
        return await super().async_step_confirm(user_input)


async def async_create_fix_flow(
    hass: HomeAssistant,  # noqa: ARG001
    issue_id: str,  # noqa: ARG001
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Create the flow that fixes a lock-key issue."""
    entry_id = data.get("entry_id") if data else None
    return LockKeyRepairFlow(str(entry_id) if entry_id is not None else None)
