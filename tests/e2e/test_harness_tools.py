"""The pieces of the real-Home-Assistant harness that need no Home Assistant.

Namespace entry (in a child process), the refusal to start Home Assistant outside a private
namespace, the TCP forwarder of the demo, and the config dir the harness writes.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
import subprocess
import sys

import pytest
from tools.forwarder import PortInUseError, TcpForwarder, bind_listener
from tools.hass_harness import (
    HassStartError,
    HassUser,
    HomeAssistant,
    StateChange,
    StateWatcher,
    build_configuration,
    write_config_dir,
)
import yaml

from tools import netns

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return env


def test_netns_wrapper_runs_the_command_with_only_a_ready_loopback() -> None:
    if not netns.can_create_netns():
        pytest.skip("this machine does not allow a private network namespace")
    probe = (
        "import json; from tools import netns; "
        "print(json.dumps([netns.interfaces(), netns.loopback_ready()]))"
    )
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        netns.netns_command([sys.executable, "-c", probe]),
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO,
        env=_env(),
        check=True,
    )
    assert json.loads(completed.stdout) == [["lo"], True]


def test_netns_wrapper_reports_a_missing_command() -> None:
    if not netns.can_create_netns():
        pytest.skip("this machine does not allow a private network namespace")
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        netns.netns_command(["/nonexistent/command"]),
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO,
        env=_env(),
        check=False,
    )
    assert completed.returncode == 127
    assert "cannot run /nonexistent/command" in completed.stderr


async def test_harness_refuses_to_start_home_assistant_on_the_host_network(tmp_path: Path) -> None:
    if netns.in_private_netns():
        pytest.skip("this test run is itself inside a private network namespace")
    hass = HomeAssistant(tmp_path / "cfg", custom_components=())

    with pytest.raises(HassStartError, match="private network namespace"):
        await hass.start()
    assert not (tmp_path / "cfg").exists()  # refused before anything was written


def test_password_never_shows_in_repr() -> None:
    user = HassUser("demo", "s3cret-pass")
    assert "s3cret-pass" not in repr(user)


def test_config_dir_is_minimal_onboarded_and_links_the_integration(tmp_path: Path) -> None:
    integration = tmp_path / "src" / "my_integration"
    integration.mkdir(parents=True)
    (integration / "manifest.json").write_text("{}")

    write_config_dir(tmp_path / "cfg", port=18123, custom_components=[integration])

    config = yaml.safe_load((tmp_path / "cfg" / "configuration.yaml").read_text())
    assert config["http"] == {"server_host": "127.0.0.1", "server_port": 18123}
    assert config["homeassistant"]["internal_url"] == "http://127.0.0.1:18123"
    assert "default_config" not in config
    assert config["logger"]["logs"]["custom_components.loqed_bridge"] == "debug"
    link = tmp_path / "cfg" / "custom_components" / "my_integration"
    assert link.is_symlink()
    assert link.resolve() == integration.resolve()
    onboarding = json.loads((tmp_path / "cfg" / ".storage" / "onboarding").read_text())
    assert set(onboarding["data"]["done"]) == {"user", "core_config", "analytics", "integration"}


def test_config_dir_refuses_something_that_is_not_an_integration(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"no manifest\.json"):
        write_config_dir(tmp_path / "cfg", port=18123, custom_components=[tmp_path])


def test_configuration_keeps_the_base_and_sets_only_address_and_url() -> None:
    base = {"homeassistant": {"name": "X"}, "http": {"server_port": 1}, "lock": None}

    config = build_configuration(4321, base)

    assert config["homeassistant"] == {"name": "X", "internal_url": "http://127.0.0.1:4321"}
    assert config["http"] == {"server_port": 4321, "server_host": "127.0.0.1"}
    assert config["lock"] is None
    assert base["http"] == {"server_port": 1}  # the base is not changed


def _change(entity_id: str, state: str) -> StateChange:
    event = {"data": {"entity_id": entity_id, "new_state": {"state": state}}}
    return StateChange.from_event(event, received=0.0)


async def test_state_watcher_finds_states_in_order_even_if_they_came_early() -> None:
    watcher = StateWatcher()
    watcher.add(_change("lock.door", "unlocking"))
    watcher.add(_change("lock.other", "locked"))
    watcher.add(_change("lock.door", "unlocked"))

    assert (await watcher.wait_for("lock.door", "unlocked", timeout=1)).state == "unlocked"
    with pytest.raises(TimeoutError, match=r"lock\.door did not change to unlocking"):
        await watcher.wait_for("lock.door", "unlocking", timeout=0.05)  # already consumed


async def test_state_watcher_wakes_up_for_a_later_state() -> None:
    watcher = StateWatcher()

    async def later() -> None:
        await asyncio.sleep(0.02)
        watcher.add(_change("lock.door", "locked"))

    task = asyncio.create_task(later())
    change = await watcher.wait_for("lock.door", "locked", timeout=2)
    await task
    assert change.entity_id == "lock.door"


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(1024):
        writer.write(data.upper())
        await writer.drain()
    writer.close()


async def test_forwarder_relays_both_ways_until_the_client_closes(socket_enabled: None) -> None:
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    forwarder = TcpForwarder(bind_listener(0), port)
    await forwarder.start()
    try:
        reader, writer = await asyncio.open_connection(*forwarder.address)
        writer.write(b"hello " * 20000)
        await writer.drain()
        writer.write_eof()
        data = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        await writer.wait_closed()
        assert data == b"HELLO " * 20000
        assert forwarder.accepted == 1
    finally:
        await forwarder.close()
        server.close()
        await server.wait_closed()


async def test_forwarder_closes_the_client_when_nothing_listens_inside(
    socket_enabled: None,
) -> None:
    closed = bind_listener(0)
    port = closed.getsockname()[1]
    closed.close()
    forwarder = TcpForwarder(bind_listener(0), port)
    await forwarder.start()
    try:
        reader, writer = await asyncio.open_connection(*forwarder.address)
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        await writer.wait_closed()
    finally:
        await forwarder.close()


def test_a_taken_port_is_reported(socket_enabled: None) -> None:
    taken = bind_listener(0)
    try:
        with pytest.raises(PortInUseError, match=r"cannot listen on 127\.0\.0\.1"):
            bind_listener(taken.getsockname()[1])
    finally:
        taken.close()
