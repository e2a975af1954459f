"""Dutch and German say everything English says, with the same placeholders, and are used."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import TYPE_CHECKING, Any

from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.loqed_bridge.const import DOMAIN

from . import make_entry, setup_integration, state_of

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant

    from loqed_emulator import EmulatedBridge

FOLDER = Path(__file__).parents[3] / "custom_components" / "loqed_bridge" / "translations"


def leaves(tree: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from leaves(value, (*path, key))
        else:
            yield ".".join((*path, key)), value


def load(language: str) -> dict[str, str]:
    return dict(leaves(json.loads((FOLDER / f"{language}.json").read_text(encoding="utf-8"))))


@pytest.mark.parametrize("language", ["nl", "de"])
def test_every_text_is_translated_with_its_placeholders(language: str) -> None:
    english, other = load("en"), load(language)
    assert other.keys() == english.keys()
    for key, text in english.items():
        wanted = sorted(set(re.findall(r"\{\w+\}", text)))
        assert sorted(set(re.findall(r"\{\w+\}", other[key]))) == wanted, key
        if len(text) > 40:  # long texts are real translations, not copies
            assert other[key] != text, key


async def test_entities_speak_dutch(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    hass.config.language = "nl"
    await setup_integration(hass, make_entry(emulator))
    registry = er.async_get(hass)
    mac = emulator.macs.wifi
    event = registry.async_get_entity_id("event", DOMAIN, f"{mac}-lock_operation")
    push = registry.async_get_entity_id("binary_sensor", DOMAIN, f"{mac}-push_problem")
    assert (event, push) == (
        "event.front_door_slotbediening",
        "binary_sensor.front_door_bridge_pushmeldingen",
    )
    assert event is not None
    assert push is not None
    assert state_of(hass, event).attributes["friendly_name"] == "Front door Slotbediening"
    assert state_of(hass, push).attributes["friendly_name"] == "Front door bridge Pushmeldingen"
