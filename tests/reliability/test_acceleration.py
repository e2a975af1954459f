"""The acceleration hook shortens the named constants when their module is imported, no others."""

from __future__ import annotations

from datetime import timedelta
import json
import sys
from typing import TYPE_CHECKING

from reliability.hass_site import sitecustomize
from reliability.stack import OVERRIDES_ENV, hass_environment

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

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
