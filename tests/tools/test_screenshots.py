"""The pure parts of scripts/screenshots: pages, login URL, dashboard, Chromium, brand images.

Taking the pictures needs Chromium and a real Home Assistant in a private namespace; that is the
script itself (`scripts/screenshots`). What can go wrong without them is tested here, plus the
DevTools client against a websocket server on loopback.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiohttp
from aiohttp import WSMsgType, web
import pytest
from tools.screenshots import (
    BRAND_DIR,
    SHOTS,
    DevTools,
    ScreenshotError,
    authorized_url,
    brand_file,
    chromium_command,
    dashboard_config,
    device_path,
    devtools_port,
    find_chromium,
    flow_start_path,
    form_answer,
    integration_entities,
    integration_path,
    is_png,
    js_click_text,
    logbook_path,
    looks_logged_out,
    parse_args,
    redirect_uri,
    screenshot_configuration,
    select_shots,
)

if TYPE_CHECKING:
    from pathlib import Path

HASS = "http://127.0.0.1:8123"


def test_configuration_adds_the_recorder_logbook_and_repairs_and_keeps_the_demos() -> None:
    base = {"homeassistant": {"name": "LOQED demo"}, "logger": {"default": "info"}}
    config = screenshot_configuration(base)
    assert config["homeassistant"] == {"name": "LOQED demo"}
    assert config["logger"] == {"default": "info"}
    for integration in ("recorder", "history", "logbook", "repairs", "diagnostics"):
        assert integration in config
    assert "recorder" not in base  # the demo's configuration is not changed


def test_configuration_keeps_a_recorder_the_base_already_sets() -> None:
    config = screenshot_configuration({"recorder": {"db_url": "sqlite://"}})
    assert config["recorder"] == {"db_url": "sqlite://"}


def test_page_paths() -> None:
    assert flow_start_path() == "/config/integrations/dashboard/add?domain=loqed_bridge"
    assert integration_path() == "/config/integrations/integration/loqed_bridge"
    assert device_path("a/b c") == "/config/devices/device/a%2Fb%20c"
    path = logbook_path(["lock.front_door", "event.front_door_lock_operation"])
    query = parse_qs(urlsplit(path).query)
    assert urlsplit(path).path == "/logbook"
    assert query["entity_id"] == ["lock.front_door,event.front_door_lock_operation"]


@pytest.mark.parametrize("page", ["/config/repairs", "/logbook?entity_id=lock.x"])
def test_authorized_url_carries_the_code_and_the_state_the_frontend_expects(page: str) -> None:
    url = authorized_url(HASS, page, "code/with+odd=chars")
    assert url.startswith(redirect_uri(HASS, page))  # the login flow checks the redirect URI
    query = parse_qs(urlsplit(url).query)
    assert query["auth_callback"] == ["1"]
    assert query["code"] == ["code/with+odd=chars"]
    state = json.loads(base64.b64decode(unquote(query["state"][0])))
    assert state == {"hassUrl": HASS, "clientId": f"{HASS}/"}
    assert url.count("?") == 1
    if "entity_id" in page:
        assert query["entity_id"] == ["lock.x"]


def test_integration_entities_lock_first_enabled_ours_only() -> None:
    registry = [
        {"entity_id": "sensor.front_door_battery", "platform": "loqed_bridge"},
        {"entity_id": "sun.sun", "platform": "sun"},
        {"entity_id": "event.front_door_lock_operation", "platform": "loqed_bridge"},
        {"entity_id": "lock.front_door", "platform": "loqed_bridge"},
        {
            "entity_id": "sensor.front_door_voltage",
            "platform": "loqed_bridge",
            "disabled_by": "integration",
        },
        {"entity_id": "binary_sensor.front_door_connected", "platform": "loqed_bridge"},
    ]
    assert integration_entities(registry) == [
        "lock.front_door",
        "binary_sensor.front_door_connected",
        "event.front_door_lock_operation",
        "sensor.front_door_battery",
    ]


def test_dashboard_shows_the_lock_tile_the_last_operation_the_rest_and_a_logbook() -> None:
    event = "event.front_door_lock_operation"
    entities = ["lock.front_door", event, "sensor.front_door_battery"]
    cards = dashboard_config(entities)["views"][0]["cards"]
    assert [card["type"] for card in cards] == ["tile", "entities", "entities", "logbook"]
    assert cards[0]["entity"] == "lock.front_door"
    assert {f["type"] for f in cards[0]["features"]} == {"lock-commands", "lock-open-door"}
    operation = cards[1]["entities"]
    assert operation[0]["entity"] == event
    assert {row.get("attribute") for row in operation[1:]} == {"source", "key_name", "key_id"}
    assert all(row["entity"] == event for row in operation)
    assert cards[2]["entities"] == ["sensor.front_door_battery"]
    assert cards[3]["entities"] == ["lock.front_door", event]


def test_dashboard_without_other_entities_has_no_empty_card() -> None:
    cards = dashboard_config(["lock.front_door"])["views"][0]["cards"]
    assert [card["type"] for card in cards] == ["tile", "logbook"]
    assert dashboard_config([])["views"][0]["cards"] == []


def test_form_answer_fills_given_values_and_keeps_the_rest_as_suggested() -> None:
    schema: list[dict[str, Any]] = [
        {"name": "key_names", "type": "string", "required": False},
        {"name": "handle_outside", "type": "boolean", "default": False},
        {
            "name": "connection",
            "type": "expandable",
            "schema": [
                {
                    "name": "callback_url",
                    "type": "string",
                    "description": {"suggested_value": "http://192.0.2.1:8123"},
                },
                {"name": "timestamp_window", "type": "integer", "default": 30},
                {"name": "unset", "type": "string"},
            ],
        },
    ]
    assert form_answer(schema, {"key_names": "3=Anna"}) == {
        "key_names": "3=Anna",
        "handle_outside": False,
        "connection": {"callback_url": "http://192.0.2.1:8123", "timestamp_window": 30},
    }


def test_find_chromium_takes_the_first_installed_name() -> None:
    installed = {"google-chrome": "/opt/google/chrome", "chromium-browser": "/usr/bin/cb"}
    assert find_chromium(installed.get) == "/usr/bin/cb"
    assert find_chromium(lambda _name: None) is None


def test_chromium_runs_headless_without_network_habits_and_a_fresh_profile(
    tmp_path: Path,
) -> None:
    command = chromium_command("/usr/bin/chromium", tmp_path, (1024, 700))
    assert command[0] == "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path}",
        "--window-size=1024,700",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
    ):
        assert flag in command


def test_devtools_port_is_the_first_line_of_the_file() -> None:
    assert devtools_port("41235\n/devtools/browser/abc\n") == 41235
    for bad in ("", "x\n/devtools", "0\n", "70000\n"):
        with pytest.raises(ValueError, match=r"."):
            devtools_port(bad)


def test_brand_requests_get_our_own_images() -> None:
    base = "https://brands.home-assistant.io"
    assert brand_file(f"{base}/_/loqed_bridge/icon.png") == BRAND_DIR / "icon.png"
    assert brand_file(f"{base}/brands/_/loqed_bridge/logo@2x.png") == BRAND_DIR / "logo@2x.png"
    assert brand_file(f"{base}/_/loqed_bridge/dark_icon.png") == BRAND_DIR / "dark_icon.png"
    assert (BRAND_DIR / "icon.png").is_file()


def test_a_missing_dark_variant_falls_back_to_the_light_one(tmp_path: Path) -> None:
    (tmp_path / "icon.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    found = brand_file("https://brands.home-assistant.io/_/loqed_bridge/dark_icon.png", tmp_path)
    assert found == tmp_path / "icon.png"


@pytest.mark.parametrize(
    "url",
    [
        "https://brands.home-assistant.io/_/loqed/icon.png",  # another integration
        "https://example.com/_/loqed_bridge/icon.png",  # another host
        "https://brands.home-assistant.io/_/loqed_bridge/../../secret.png",
        "https://brands.home-assistant.io/_/loqed_bridge/manifest.json",
        "https://brands.home-assistant.io/loqed_bridge",
    ],
)
def test_other_requests_are_not_answered_from_our_folder(url: str) -> None:
    assert brand_file(url) is None


def test_png_and_login_page_recognition() -> None:
    assert is_png(b"\x89PNG\r\n\x1a\n rest")
    assert not is_png(b"<html>")
    assert looks_logged_out("Welcome home! Username Password Log in")
    assert not looks_logged_out("LOQED 52E6B4 Locked Open door")


def test_select_shots_keeps_the_order_and_names_unknown_ones() -> None:
    names = list(SHOTS)
    assert select_shots(names, []) == names
    assert select_shots(names, ["repair", "device"]) == ["device", "repair"]
    with pytest.raises(ValueError, match="lock-card"):
        select_shots(names, ["device", "lock-card"])


def test_the_repair_is_taken_last() -> None:
    # The lock-key repair leaves the entry with a key the lock does not know.
    assert list(SHOTS)[-1] == "repair"


def test_click_text_is_quoted_as_javascript_data() -> None:
    script = js_click_text('Say "hi" </script>', exact=True)
    assert json.dumps('Say "hi" </script>') in script
    assert "trim() === want" in script


def test_command_line_defaults() -> None:
    args = parse_args([])
    assert args.out.parts[-2:] == ("docs", "screenshots")
    assert args.only == []
    assert parse_args(["--only", "device", "--only", "logbook"]).only == ["device", "logbook"]


async def test_devtools_client_sends_commands_and_dispatches_events(socket_enabled: None) -> None:
    received: list[dict[str, object]] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                break
            call = json.loads(message.data)
            received.append(call)
            if call["method"] == "Broken.method":
                await ws.send_json({"id": call["id"], "error": {"message": "no such method"}})
                continue
            await ws.send_json({"method": "Fetch.requestPaused", "params": {"requestId": "r1"}})
            await ws.send_json({"id": call["id"], "result": {"echo": call["params"]}})
        return ws

    app = web.Application()
    app.router.add_get("/devtools", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    paused: list[str] = []
    seen = asyncio.Event()

    async def on_paused(params: dict[str, object]) -> None:
        paused.append(str(params["requestId"]))
        seen.set()

    try:
        async with aiohttp.ClientSession() as session:
            devtools = DevTools(session, f"ws://127.0.0.1:{port}/devtools", timeout=5)
            devtools.on("Fetch.requestPaused", on_paused)
            await devtools.connect()
            assert await devtools.send("Page.navigate", {"url": "about:blank"}) == {
                "echo": {"url": "about:blank"}
            }
            async with asyncio.timeout(5):
                await seen.wait()
            assert paused == ["r1"]
            with pytest.raises(ScreenshotError, match="no such method"):
                await devtools.send("Broken.method")
            await devtools.close()
    finally:
        await runner.cleanup()
    assert [call["method"] for call in received] == ["Page.navigate", "Broken.method"]
    assert received[0]["id"] != received[1]["id"]
