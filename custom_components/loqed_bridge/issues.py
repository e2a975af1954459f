"""Raise and clear the entry's repair issues (one id per kind of issue and entry)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import ALL_ISSUES, DOMAIN, issue_id

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.config_entries import ConfigEntry


@callback
def async_raise_issue(
    hass: HomeAssistant,
    entry: ConfigEntry,
    issue: str,
    *,
    severity: ir.IssueSeverity = ir.IssueSeverity.WARNING,
    placeholders: Mapping[str, str] | None = None,
    fixable: bool = False,
) -> None:
    """Raise (or update) ``issue`` for ``entry``; its text names the entry."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(issue, entry.entry_id),
        is_fixable=fixable,
        severity=severity,
        translation_key=issue,
        translation_placeholders={"entry_title": entry.title, **(placeholders or {})},
        data={"entry_id": entry.entry_id} if fixable else None,
    )


@callback
def async_clear_issue(hass: HomeAssistant, entry_id: str, issue: str) -> None:
    """Delete ``issue`` of an entry (nothing happens when it is not raised)."""
    ir.async_delete_issue(hass, DOMAIN, issue_id(issue, entry_id))


@callback
def async_clear_all_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every issue of an entry (when it is removed)."""
    for issue in ALL_ISSUES:
        async_clear_issue(hass, entry_id, issue)
