"""Logins the harness makes for a real Home Assistant (`hass --script auth add`).

The script's argument parser takes a value starting with "-" for an option: one URL-safe random
password in 64 would make the demo fail at start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tools.hass_harness import HarnessError, HassUser, add_user, new_password

if TYPE_CHECKING:
    from pathlib import Path

URL_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_random_passwords_never_start_with_a_dash() -> None:
    passwords = [new_password() for _ in range(2000)]
    assert not [password for password in passwords if password.startswith("-")]
    assert all(set(password) <= URL_SAFE and len(password) >= 16 for password in passwords)
    assert len(set(passwords)) == len(passwords)


def test_a_default_login_gets_such_a_password() -> None:
    users = [HassUser() for _ in range(500)]
    assert not [user for user in users if user.password.startswith("-")]
    assert "password" not in repr(users[0])


@pytest.mark.parametrize(
    ("username", "password", "what"),
    [("demo", "-Ab_c1", "password"), ("-demo", "secret", "user name")],
)
async def test_a_value_the_script_would_take_for_an_option_is_refused_first(
    tmp_path: Path, username: str, password: str, what: str
) -> None:
    with pytest.raises(HarnessError, match=f"cannot take a {what} starting with '-'"):
        await add_user(tmp_path, username, password)
    assert list(tmp_path.iterdir()) == []
