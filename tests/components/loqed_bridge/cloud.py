"""A stand-in for the LOQED cloud on loopback: the lock list and the settings endpoint."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Callable

    from loqed_emulator import EmulatedBridge


def cloud_lock(bridge: EmulatedBridge, **changes: Any) -> dict[str, Any]:
    """``bridge``'s lock as the cloud's lock list shows it."""
    information = bridge.integration_information
    lock = {
        "id": information["lock_id"],
        "name": bridge.config.name,
        "bolt_state": "night_lock",
        "supported_lock_states": ["open", "day_lock", "night_lock"],
        "guest_access_mode": False,
        "twist_assist": True,
        "touch_to_connect": False,
        "bridge_ip": information["bridge_ip"],
        "bridge_hostname": information["bridge_mdns_hostname"],
        "local_id": information["lock_key_local_id"],
        "key_secret": information["lock_key_key"],
        "backend_key": information["backend_key"],
        "bridge_key": information["bridge_key"],
    }
    lock.update(changes)
    return lock


class FakeCloud:
    """The cloud's answers; ``answer`` says what the lock list returns.

    ``setting_answer`` says what ``POST /api/locks/{id}/setting`` returns; the changes it
    accepted are in ``settings``.
    """

    def __init__(self) -> None:
        self.answer: Callable[[web.Request], web.Response] = lambda _: web.json_response(
            {"data": []}
        )
        self.setting_answer: Callable[[web.Request], web.Response] = lambda _: web.Response(
            status=204
        )
        self.calls = 0
        self.tokens: list[str] = []
        self.settings: list[tuple[str, dict[str, Any]]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        self.tokens.append(request.headers.get("Authorization", ""))
        return self.answer(request)

    async def handle_setting(self, request: web.Request) -> web.Response:
        self.calls += 1
        self.tokens.append(request.headers.get("Authorization", ""))
        response = self.setting_answer(request)
        if response.status < 300:
            self.settings.append((request.match_info["lock_id"], json.loads(await request.read())))
        return response

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/locks/", self.handle)
        app.router.add_post("/api/locks/{lock_id}/setting", self.handle_setting)
        return app
