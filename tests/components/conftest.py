"""Fixtures for every Home Assistant component test: custom integrations are enabled."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/loqed_bridge."""
