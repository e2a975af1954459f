"""The options as typed values, and the key-names text (pure functions)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custom_components.loqed_bridge.options import (
    KeyNamesError,
    LoqedOptions,
    format_key_names,
    parse_key_names,
)


def test_key_names_round_trip() -> None:
    text = " 12 = Keypad  Bob \n\n0=Spare tag\n250=Garden=gate\n"
    names = parse_key_names(text)
    assert names == {12: "Keypad Bob", 0: "Spare tag", 250: "Garden=gate"}
    assert format_key_names(names) == "0=Spare tag\n12=Keypad Bob\n250=Garden=gate"
    assert parse_key_names(format_key_names(names)) == names
    assert parse_key_names("") == {}


@pytest.mark.parametrize(
    ("text", "error", "line"),
    [
        ("Anna", "key_names_format", 1),
        ("1=ok\n2=", "key_names_format", 2),
        ("1.5=Half", "key_names_id", 1),
        ("251=High", "key_names_id", 1),
        ("1=" + "x" * 41, "key_names_too_long", 1),
        ("7=A\n07=B", "key_names_duplicate", 2),
    ],
)
def test_bad_key_names_name_the_line(text: str, error: str, line: int) -> None:
    with pytest.raises(KeyNamesError) as raised:
        parse_key_names(text)
    assert (raised.value.error, raised.value.line) == (error, line)
    assert str(line) in str(raised.value)


def test_options_fall_back_to_defaults_and_bounds() -> None:
    assert LoqedOptions.from_mapping({}) == LoqedOptions()
    options = LoqedOptions.from_mapping(
        {
            "callback_url": "",
            "timestamp_window": "5",
            "healthy_poll_minutes": 100000,
            "fallback_poll_seconds": "soon",
            "handle_outside": "yes",  # only a real true counts
            "key_names": {"3": "Anna", "x": "bad id", "4": "", "5": 7},
        }
    )
    assert options.callback_url is None
    assert options.timestamp_window == 10
    assert options.healthy_interval == timedelta(hours=1)
    assert options.fallback_interval == timedelta(seconds=45)
    assert options.handle_outside is False
    assert options.key_names == {3: "Anna"}
    assert LoqedOptions.from_mapping({"key_names": ["3=Anna"]}).key_names == {}
