"""No secret in any log line: the webhook id, the keys, the signed commands."""

from __future__ import annotations

import base64
import json
import logging
from typing import TYPE_CHECKING
from urllib.parse import quote

from homeassistant.const import ATTR_ENTITY_ID, EVENT_HOMEASSISTANT_CLOSE

from custom_components.loqed_bridge.redact import (
    REDACTED_ID,
    WATCHED_LOGGERS,
    WebhookIdFilter,
    async_redact_webhook_id,
)
from loqed_emulator import BoltState

from . import WEBHOOK_ID, lock_payload, make_entry, setup_integration, signed

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    import pytest

    from loqed_emulator import EmulatedBridge

    from . import HaClient

PATH = f"/api/webhook/{WEBHOOK_ID}"


def spellings(secret: bytes) -> set[str]:
    """The ways a binary secret could be written into a log line."""
    standard = base64.b64encode(secret).decode()
    urlsafe = base64.urlsafe_b64encode(secret).decode()
    return {
        standard,
        standard.rstrip("="),
        urlsafe.rstrip("="),
        quote(standard, safe=""),
        secret.hex(),
    }


async def test_no_secret_in_any_log_line_of_a_whole_entry_life(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    ha_url: str,
    ha_client: HaClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    commands: list[bytes] = []
    receive = emulator.receive_command

    def record(message: bytes) -> None:
        commands.append(message)
        receive(message)

    emulator.receive_command = record  # type: ignore[method-assign]
    # A stale copy of ours (an old address of Home Assistant) for the reconcile to delete.
    emulator.registry.add(f"http://192.0.2.50:8123{PATH}", 511)
    entry = make_entry(emulator)
    await setup_integration(hass, entry)
    coordinator = entry.runtime_data
    await coordinator.async_reconcile()

    # Commands, and the lock's verified webhooks for them; a knob turn at the door.
    for service in ("unlock", "lock", "open"):
        await hass.services.async_call(
            "lock", service, {ATTR_ENTITY_ID: "lock.front_door"}, blocking=True
        )
    emulator.turn_knob(BoltState.NIGHT_LOCK)
    await emulator.wait_settled()
    await hass.async_block_till_done()
    assert len(commands) == 3

    # Everything else that can reach the webhook: a replay, an unsigned one, a stale one, a
    # forged one, other methods.
    body, headers = signed(emulator, lock_payload(emulator, "STATE_CHANGED_LATCH"))
    for _ in range(2):
        await ha_client.post(PATH, data=body, headers=headers)
    await ha_client.post(PATH, data=json.dumps(lock_payload(emulator, "STATE_CHANGED_OPEN")))
    stale, stale_headers = signed(emulator, {"battery_percentage": 50}, timestamp=1)
    await ha_client.post(PATH, data=stale, headers=stale_headers)
    await ha_client.post(PATH, data=body + b" ", headers=headers)
    for method in ("GET", "PUT", "HEAD"):
        await ha_client.request(method, PATH)
    await coordinator.async_shutdown()  # pending hint reads

    # Unload; the bridge (or anyone) still calls the webhook; then remove the entry.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await ha_client.post(PATH, data=body, headers=headers)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert [r.url for r in emulator.registry] == []

    information = emulator.integration_information
    secrets = {WEBHOOK_ID}
    for field in ("bridge_key", "lock_key_key", "backend_key"):
        secrets |= spellings(base64.b64decode(str(information[field])))
    for command in commands:
        secrets |= spellings(command)
    assert caplog.records
    for record_ in caplog.records:
        text = record_.getMessage()
        if record_.exc_info:
            text += logging.Formatter().formatException(record_.exc_info)
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, (record_.name, text)
    # Home Assistant's own lines about our webhook are there, with the id redacted.
    assert f"/api/webhook/{REDACTED_ID}" in caplog.text
    assert f"unregistered webhook {REDACTED_ID}" in caplog.text


async def test_the_filter_redacts_messages_and_arguments_until_home_assistant_stops(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    async_redact_webhook_id(hass, WEBHOOK_ID)
    async_redact_webhook_id(hass, "f" * 64)  # a second entry shares the filter
    logger = logging.getLogger(WATCHED_LOGGERS[0])
    filters = [f for f in logger.filters if isinstance(f, WebhookIdFilter)]
    assert len(filters) == 1
    logger.warning("Received remote request for local webhook %s", WEBHOOK_ID)
    logger.warning("%(hook)s from %(remote)s", {"hook": "f" * 64, "remote": "192.0.2.1"})
    logger.warning(f"Requested URL: '/api/webhook/{WEBHOOK_ID}'")  # noqa: G004 - as Home Assistant's ban middleware logs
    logger.warning("nothing secret: %s %d", "plain", 3)
    logger.warning("no arguments")
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        f"Received remote request for local webhook {REDACTED_ID}",
        f"{REDACTED_ID} from 192.0.2.1",
        f"Requested URL: '/api/webhook/{REDACTED_ID}'",
        "nothing secret: plain 3",
        "no arguments",
    ]
    hass.bus.async_fire(EVENT_HOMEASSISTANT_CLOSE)
    await hass.async_block_till_done()
    assert not [f for f in logger.filters if isinstance(f, WebhookIdFilter)]


def test_a_filter_without_ids_leaves_records_alone() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hook %s", (WEBHOOK_ID,), None)
    assert WebhookIdFilter().filter(record)
    assert record.getMessage() == f"hook {WEBHOOK_ID}"
