"""Control API (JSON over HTTP) and the web page: what a person does at the door, and faults.

Every POST must say ``Content-Type: application/json``: a browser then has to ask before sending
one from another site, so a web page cannot drive the emulator behind a person's back.
"""

from __future__ import annotations

from importlib import resources
import json
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from loqed_emulator.faults import FaultError
from loqed_emulator.lock import BatteryType, BoltState

if TYPE_CHECKING:
    from collections.abc import Callable

    from loqed_emulator.bridge import EmulatedBridge

CONTROL_BRIDGE_KEY: Final[web.AppKey[EmulatedBridge]] = web.AppKey("control_bridge")
MAX_DOWNTIME: Final = 600.0


class ControlInputError(ValueError):
    """A control request with a missing or bad value."""


def _bridge(request: web.Request) -> EmulatedBridge:
    return request.app[CONTROL_BRIDGE_KEY]


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(
            text=json.dumps({"error": "send Content-Type: application/json"}),
            content_type="application/json",
        )
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ControlInputError("body is not JSON") from None
    if not isinstance(body, dict):
        raise ControlInputError("body must be a JSON object")
    return body


def _state(body: dict[str, Any]) -> BoltState:
    value = body.get("state")
    if not isinstance(value, str):
        raise ControlInputError("state is required: open, day_lock or night_lock")
    return BoltState.parse(value)


def _key_id(body: dict[str, Any]) -> int | None:
    value = body.get("key_id")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ControlInputError("key_id must be an integer")
    return value


def _knob(bridge: EmulatedBridge, body: dict[str, Any]) -> None:
    bridge.turn_knob(_state(body))


def _keypad_pin(bridge: EmulatedBridge, body: dict[str, Any]) -> None:
    bridge.keypad_pin(_key_id(body))


def _outside_button(bridge: EmulatedBridge, body: dict[str, Any]) -> None:
    del body
    bridge.press_outside_button()


def _touch_to_open(bridge: EmulatedBridge, body: dict[str, Any]) -> None:
    bridge.touch_to_open(_key_id(body))


def _auto_unlock(bridge: EmulatedBridge, body: dict[str, Any]) -> None:
    bridge.auto_unlock(_key_id(body))


def _twist_assist(bridge: EmulatedBridge, body: dict[str, Any]) -> None:
    bridge.twist_assist(_state(body))


def _touch_to_lock(bridge: EmulatedBridge, body: dict[str, Any]) -> None:
    del body
    bridge.touch_to_lock()


def _app_ble(bridge: EmulatedBridge, body: dict[str, Any]) -> None:
    bridge.app_ble(_state(body), _key_id(body))


OPERATIONS: Final[dict[str, Callable[[EmulatedBridge, dict[str, Any]], None]]] = {
    "knob": _knob,
    "keypad_pin": _keypad_pin,
    "outside_button": _outside_button,
    "touch_to_open": _touch_to_open,
    "auto_unlock": _auto_unlock,
    "twist_assist": _twist_assist,
    "touch_to_lock": _touch_to_lock,
    "app_ble": _app_ble,
}


@web.middleware
async def _errors_middleware(
    request: web.Request, handler: Callable[[web.Request], Any]
) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
    except (ControlInputError, FaultError, ValueError) as err:
        return _error(400, str(err))
    except OSError as err:
        return _error(503, f"cannot listen on the bridge port: {err.strerror or err}")
    return response


async def _page(request: web.Request) -> web.StreamResponse:
    del request
    page = resources.files("loqed_emulator").joinpath("page.html").read_text(encoding="utf-8")
    return web.Response(
        text=page,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Content-Security-Policy": _CSP},
    )


_CSP: Final = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


async def _get_state(request: web.Request) -> web.StreamResponse:
    return web.json_response(_bridge(request).snapshot())


async def _operation(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    operation = OPERATIONS.get(name)
    if operation is None:
        return _error(404, f"unknown operation; known: {', '.join(OPERATIONS)}")
    body = await _body(request)
    bridge = _bridge(request)
    operation(bridge, body)
    return web.json_response(bridge.snapshot())


async def _battery(request: web.Request) -> web.StreamResponse:
    body = await _body(request)
    percentage = body.get("percentage")
    if percentage is not None and (
        isinstance(percentage, bool) or not isinstance(percentage, int | float)
    ):
        raise ControlInputError("percentage must be a number 0..100")
    type_value = body.get("type")
    if type_value is not None and not isinstance(type_value, str):
        raise ControlInputError("type must be a string")
    battery_type = BatteryType.parse(type_value) if type_value is not None else None
    bridge = _bridge(request)
    bridge.set_battery(percentage, battery_type)
    return web.json_response(bridge.snapshot())


async def _battery_report(request: web.Request) -> web.StreamResponse:
    await _body(request)
    bridge = _bridge(request)
    bridge.report_battery()
    return web.json_response(bridge.snapshot())


async def _link(request: web.Request) -> web.StreamResponse:
    body = await _body(request)
    online = body.get("online")
    if not isinstance(online, bool):
        raise ControlInputError("online must be true or false")
    bridge = _bridge(request)
    bridge.set_link(online=online)
    return web.json_response(bridge.snapshot())


async def _get_faults(request: web.Request) -> web.StreamResponse:
    return web.json_response(_bridge(request).fault_state())


async def _set_faults(request: web.Request) -> web.StreamResponse:
    body = await _body(request)
    bridge = _bridge(request)
    await bridge.update_faults(body)
    return web.json_response(bridge.fault_state())


async def _reboot(request: web.Request) -> web.StreamResponse:
    body = await _body(request)
    downtime = body.get("downtime", 0)
    if isinstance(downtime, bool) or not isinstance(downtime, int | float):
        raise ControlInputError("downtime must be a number of seconds")
    if not 0 <= downtime <= MAX_DOWNTIME:
        raise ControlInputError(f"downtime must be 0..{MAX_DOWNTIME:g} seconds")
    bridge = _bridge(request)
    if downtime > 0:
        bridge.spawn(bridge.reboot(float(downtime)))
        return web.json_response({"rebooting": True, "downtime": downtime}, status=202)
    await bridge.reboot()
    return web.json_response({"rebooting": False, "downtime": 0})


def build_control_app(bridge: EmulatedBridge) -> web.Application:
    """Return the aiohttp application of the control API and page."""
    app = web.Application(middlewares=[_errors_middleware], client_max_size=64 * 1024)
    app[CONTROL_BRIDGE_KEY] = bridge
    app.router.add_get("/", _page)
    app.router.add_get("/api/state", _get_state)
    app.router.add_post("/api/operations/{name}", _operation)
    app.router.add_post("/api/battery", _battery)
    app.router.add_post("/api/battery/report", _battery_report)
    app.router.add_post("/api/link", _link)
    app.router.add_get("/api/faults", _get_faults)
    app.router.add_post("/api/faults", _set_faults)
    app.router.add_post("/api/reboot", _reboot)
    return app
