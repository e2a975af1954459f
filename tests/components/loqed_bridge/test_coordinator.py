"""Polling as the fallback: rare while push works, every 45 s while it does not."""

from __future__ import annotations

from datetime import timedelta
import gc
import logging
from typing import TYPE_CHECKING

from aiohttp import web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.loqed_bridge.const import (
    FALLBACK_POLL_INTERVAL,
    HEALTHY_POLL_INTERVAL,
    RECHECK_MARGIN,
    RECONCILE_INTERVAL,
    STATUS_LAG_GRACE,
)
from loqed_emulator import BoltState

from . import (
    count_status_reads,
    entry_state,
    lock_payload,
    make_entry,
    post_signed,
    setup_integration,
    signed,
    state_of,
    tick,
)

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    import pytest
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from aioloqed import BridgeStatus, WebhookRegistration
    from custom_components.loqed_bridge.coordinator import LoqedCoordinator
    from loqed_emulator import EmulatedBridge

    from . import HaClient
    from .conftest import BridgeFactory

ENTITY = "lock.front_door"


async def test_polls_rarely_while_push_is_healthy(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data
    assert coordinator.push_healthy
    assert coordinator.update_interval == HEALTHY_POLL_INTERVAL


def lines_each_way(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    """What the integration and its library logged at INFO or above."""
    return [
        (r.levelno, r.getMessage())
        for r in caplog.records
        if r.name.startswith(("custom_components.loqed_bridge", "aioloqed"))
        and r.levelno >= logging.INFO
    ]


async def test_bridge_offline_goes_unavailable_and_comes_back(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    coordinator = init_integration.runtime_data
    coordinator.bridge.status_retries = 1
    await emulator.set_bridge_down(down=True)
    caplog.clear()
    await tick(hass, freezer, HEALTHY_POLL_INTERVAL + timedelta(seconds=1))
    assert state_of(hass, ENTITY).state == "unavailable"
    assert coordinator.update_interval == FALLBACK_POLL_INTERVAL
    # Long enough for the webhook-list check to fail too.
    for _ in range(int(RECONCILE_INTERVAL / FALLBACK_POLL_INTERVAL) + 1):
        await tick(hass, freezer, FALLBACK_POLL_INTERVAL + timedelta(seconds=1))
    assert state_of(hass, ENTITY).state == "unavailable"
    assert coordinator.registrar.state.problem == "cannot_connect"

    emulator.turn_knob(BoltState.DAY_LOCK)  # changed while we could not see it
    await emulator.set_bridge_down(down=False)
    await tick(hass, freezer, FALLBACK_POLL_INTERVAL + timedelta(seconds=1))
    assert state_of(hass, ENTITY).state == "unlocked"
    assert coordinator.registrar.state.registered
    # Exactly one line going down and one coming back (integration and library together).
    lines = lines_each_way(caplog)
    assert [level for level, _ in lines] == [logging.ERROR, logging.INFO], lines
    assert "cannot be reached" in lines[0][1]
    assert "recovered" in lines[1][1]
    assert coordinator.update_interval == HEALTHY_POLL_INTERVAL


async def test_a_verified_webhook_brings_the_lock_back(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    coordinator = init_integration.runtime_data
    coordinator.bridge.status_retries = 1
    await emulator.set_bridge_down(down=True)
    await coordinator.async_refresh()
    assert state_of(hass, ENTITY).state == "unavailable"
    assert coordinator.update_interval == FALLBACK_POLL_INTERVAL

    payload = lock_payload(emulator, "STATE_CHANGED_LATCH")
    assert await post_signed(ha_client, emulator, payload) == 200
    assert state_of(hass, ENTITY).state == "unlocked"
    assert "is sending again" in caplog.text
    assert coordinator.update_interval == HEALTHY_POLL_INTERVAL


async def test_status_does_not_overwrite_a_fresher_webhook(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
) -> None:
    coordinator = init_integration.runtime_data
    await post_signed(ha_client, emulator, lock_payload(emulator, "STATE_CHANGED_LATCH", key_id=1))
    assert state_of(hass, ENTITY).state == "unlocked"
    # The bridge's /status lags its webhooks: it still says night lock.
    await coordinator.async_refresh()
    assert state_of(hass, ENTITY).state == "unlocked"
    # Long after the event, the status is the truth again.
    freezer.tick(timedelta(seconds=60))
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, ENTITY).state == "locked"
    # Only the status saw this change: nobody can tell who made it.
    assert state_of(hass, ENTITY).attributes["changed_by"] == "unknown"


async def test_a_status_kept_back_by_a_fresher_webhook_is_read_again_later(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
) -> None:
    """A poll that disagrees with a fresh webhook is not the last word until the next poll."""
    coordinator = init_integration.runtime_data
    await post_signed(ha_client, emulator, lock_payload(emulator, "STATE_CHANGED_LATCH", key_id=1))
    await coordinator.async_refresh()
    assert state_of(hass, ENTITY).state == "unlocked"  # the webhook is fresher
    # The status still says night lock once the webhook is old: the lock did go back (and
    # that webhook was lost). It shows well before the next poll.
    await tick(hass, freezer, timedelta(seconds=STATUS_LAG_GRACE + RECHECK_MARGIN + 0.1))
    assert state_of(hass, ENTITY).state == "locked"
    assert coordinator.update_interval == FALLBACK_POLL_INTERVAL  # push lost something
    # Once: nothing more is read until the poll interval says so.
    reads = count_status_reads(emulator)
    await tick(hass, freezer, timedelta(seconds=STATUS_LAG_GRACE + RECHECK_MARGIN + 0.1))
    assert reads == []


async def test_another_bridge_at_the_address_is_not_taken_for_ours(
    hass: HomeAssistant, make_emulator: BridgeFactory, ha_url: str
) -> None:
    ours = await make_emulator()
    other = await make_emulator(bolt_state=BoltState.DAY_LOCK)
    entry = make_entry(ours, port=other.port)
    await setup_integration(hass, entry)
    assert entry_state(entry) is ConfigEntryState.SETUP_RETRY
    assert list(other.registry) == []


async def test_a_bad_status_answer_is_an_update_failure(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data
    await emulator.set_faults(http_500=True)
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    assert state_of(hass, ENTITY).state == "unavailable"
    assert coordinator.update_interval == FALLBACK_POLL_INTERVAL


async def test_reboot_seen_in_status_restores_the_registration(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
) -> None:
    coordinator = init_integration.runtime_data
    freezer.tick(timedelta(seconds=5))
    await emulator.reboot()  # forgets every registration, new up_timestamp
    assert list(emulator.registry) == []
    await coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [r.flags for r in emulator.registry] == [511]
    # Checks triggered by status reads are at most a minute apart.
    freezer.tick(timedelta(seconds=5))
    await emulator.reboot()
    await coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert list(emulator.registry) == []
    await coordinator.async_refresh()  # still too soon: the one delayed check is enough
    await tick(hass, freezer, timedelta(seconds=60))
    assert [r.flags for r in emulator.registry] == [511]

    # Someone else adds a webhook: the count changes, we look again (and leave theirs).
    freezer.tick(timedelta(seconds=120))
    emulator.registry.add("http://192.0.2.7/theirs", 511)
    await coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert coordinator.registrar.state.foreign == 1
    assert len(emulator.registry) == 2  # ours is back, theirs is left alone


async def test_periodic_check_restores_a_deleted_registration(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
) -> None:
    emulator.registry.clear()
    await tick(hass, freezer, timedelta(minutes=10, seconds=1))
    assert [r.flags for r in emulator.registry] == [511]
    assert init_integration.runtime_data.registrar.state.created == 2


async def test_a_bridge_key_refused_later_starts_reauth(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
) -> None:
    emulator.config.bridge_key = bytes(range(32))  # the lock was reinstalled: a new bridge key
    await tick(hass, freezer, RECONCILE_INTERVAL + timedelta(seconds=1))
    flows = hass.config_entries.flow.async_progress_by_handler("loqed_bridge")
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert init_integration.runtime_data.registrar.state.bridge_key_ok is False
    assert init_integration.runtime_data.update_interval == FALLBACK_POLL_INTERVAL


async def test_a_lock_event_reaches_the_lock_first_and_leaves_unchanged_entities_alone(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    written: list[str] = []
    hass.bus.async_listen("state_changed", lambda event: written.append(event.data["entity_id"]))
    battery = state_of(hass, "sensor.front_door_battery")
    emulator.turn_knob(BoltState.DAY_LOCK)
    await emulator.wait_settled()
    await hass.async_block_till_done()
    assert state_of(hass, ENTITY).state == "unlocked"
    # The state people wait for is written first; the operation event follows it.
    assert written[0] == ENTITY
    assert "event.front_door_lock_operation" in written
    # Entities whose value did not change are not written again (not even "reported").
    assert "sensor.front_door_battery" not in written
    assert state_of(hass, "sensor.front_door_battery").last_reported == battery.last_reported


async def test_a_motion_whose_end_never_comes_is_replaced_by_the_status(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
) -> None:
    reads = count_status_reads(emulator)
    coordinator = init_integration.runtime_data
    # The lock reports that it starts to unlock; the webhook of its arrival is lost (and the
    # lock did not move after all: the status still says night lock).
    body, headers = signed(
        emulator, lock_payload(emulator, "GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH", key_id=4)
    )
    path = f"/api/webhook/{coordinator.registrar.webhook_id}"
    assert (await ha_client.post(path, data=body, headers=headers)).status == 200
    assert state_of(hass, ENTITY).state == "unlocking"
    # The status lags the webhooks: a read now does not end the motion.
    await coordinator.async_refresh()
    assert state_of(hass, ENTITY).state == "unlocking"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=15))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, ENTITY).state == "unlocking"  # a real motor may take that long
    assert len(reads) == 1
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=21))
    await hass.async_block_till_done(wait_background_tasks=True)
    # Never shown longer: the status is read and taken, although a verified event came last.
    assert len(reads) == 2
    assert state_of(hass, ENTITY).state == "locked"
    assert coordinator.data.lock.motion is None


async def test_healthy_push_costs_at_most_ten_requests_an_hour(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
) -> None:
    coordinator: LoqedCoordinator = init_integration.runtime_data
    requests: list[str] = []
    bridge = coordinator.bridge
    status, webhooks = bridge.status, bridge.webhooks

    async def count_status() -> BridgeStatus:
        requests.append("status")
        return await status()

    async def count_webhooks() -> list[WebhookRegistration]:
        requests.append("webhooks")
        return await webhooks()

    bridge.status = count_status  # type: ignore[method-assign]
    bridge.webhooks = count_webhooks  # type: ignore[method-assign]
    for _ in range(60):
        await tick(hass, freezer, timedelta(minutes=1))
    assert coordinator.push_healthy
    assert requests.count("status") == 6
    assert requests.count("webhooks") == 2
    assert len(requests) <= 10


async def test_silently_lost_webhooks_leave_the_state_stale_ten_minutes_at_most(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
) -> None:
    coordinator = init_integration.runtime_data
    await emulator.set_faults(webhook_loss_rate=1.0)
    emulator.turn_knob(BoltState.DAY_LOCK)  # nothing tells Home Assistant
    await emulator.wait_settled()
    await tick(hass, freezer, timedelta(minutes=9))
    assert state_of(hass, ENTITY).state == "locked"
    await tick(hass, freezer, timedelta(minutes=1, seconds=1))
    assert state_of(hass, ENTITY).state == "unlocked"
    # No webhook reported that change: push counts as unhealthy, the status is read often.
    assert not coordinator.push_healthy
    assert state_of(hass, "binary_sensor.front_door_bridge_push_updates").state == "on"
    assert coordinator.update_interval == FALLBACK_POLL_INTERVAL
    emulator.turn_knob(BoltState.NIGHT_LOCK)
    await emulator.wait_settled()
    await tick(hass, freezer, FALLBACK_POLL_INTERVAL + timedelta(seconds=1))
    assert state_of(hass, ENTITY).state == "locked"
    # Until a verified webhook arrives again.
    body, headers = signed(emulator, lock_payload(emulator, "STATE_CHANGED_LATCH"))
    path = f"/api/webhook/{coordinator.registrar.webhook_id}"
    assert (await ha_client.post(path, data=body, headers=headers)).status == 200
    assert coordinator.push_healthy
    assert coordinator.update_interval == HEALTHY_POLL_INTERVAL


async def test_a_registration_replaced_behind_our_back_is_restored_by_the_safety_net(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
) -> None:
    # Ours deleted and another one added: the count in the status does not change.
    emulator.registry.clear()
    emulator.registry.add("http://192.0.2.7/theirs", 511)
    await tick(hass, freezer, RECONCILE_INTERVAL - timedelta(minutes=1))
    assert [r.url for r in emulator.registry] == ["http://192.0.2.7/theirs"]
    await tick(hass, freezer, timedelta(minutes=1, seconds=1))
    assert len(emulator.registry) == 2
    assert init_integration.runtime_data.registrar.state.foreign == 1


async def test_webhooks_that_start_motions_leave_no_request_behind(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
) -> None:
    # Each of these arms the motion watch (the second one re-arms it). A timer copies the
    # context it is armed in, and Home Assistant keeps the request it is handling in one: the
    # watch must not keep the webhooks' requests (connection, headers, body) alive.
    path = f"/api/webhook/{init_integration.runtime_data.registrar.webhook_id}"
    for event_type in (
        "GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH",
        "GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN",
    ):
        payload = lock_payload(emulator, event_type, key_id=4)
        # One connection per webhook, closed after the answer, as a bridge does.
        assert await post_signed(ha_client, emulator, payload, {"Connection": "close"}) == 200
    assert state_of(hass, ENTITY).state == "opening"
    await hass.async_block_till_done()
    gc.collect()
    left = sum(
        1 for item in gc.get_objects() if isinstance(item, web.BaseRequest) and item.path == path
    )
    assert left == 0
