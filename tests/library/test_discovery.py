"""mDNS discovery on the loopback interface: the emulator announces, discover_bridges finds it.

Multicast on loopback is shared by every process of the machine, so each test uses names of its
own and only looks at those (another test run may be announcing bridges at the same time).
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import time
from typing import TYPE_CHECKING

import pytest
from zeroconf import IPVersion, ServiceInfo
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from aioloqed.discovery import (
    SERVICE_TYPE,
    DiscoveredBridge,
    bridge_from_info,
    discover_bridges,
    is_loqed_service,
    mac_from_name,
)
from loqed_emulator.bridge import EmulatedBridge
from loqed_emulator.config import EmulatorConfig

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

LOOPBACK = ["127.0.0.1"]


def random_mac() -> str:
    return "c44f33" + secrets.token_hex(3)


def service(name: str, port: int, server: str) -> ServiceInfo:
    return ServiceInfo(
        SERVICE_TYPE,
        f"{name}.{SERVICE_TYPE}",
        addresses=[socket.inet_aton("127.0.0.1")],
        port=port,
        server=server,
    )


@pytest.fixture
def mac() -> str:
    return random_mac()


@pytest.fixture
async def announcing(socket_enabled: None, mac: str) -> AsyncIterator[EmulatedBridge]:
    config = EmulatorConfig(
        zeroconf=True, zeroconf_interface="127.0.0.1", battery_interval=0, mac_wifi=mac
    )
    async with EmulatedBridge(config) as emulator:
        announcer = emulator._announcer
        assert announcer is not None
        async with asyncio.timeout(10):
            await announcer.registered.wait()
        yield emulator


@pytest.fixture
async def other_zeroconf(socket_enabled: None) -> AsyncIterator[AsyncZeroconf]:
    zeroconf = AsyncZeroconf(interfaces=LOOPBACK, ip_version=IPVersion.V4Only)
    yield zeroconf
    await zeroconf.async_unregister_all_services()
    await asyncio.sleep(0.3)  # let queued multicast answers go out before closing
    await zeroconf.async_close()


async def test_finds_the_announced_bridge_and_ignores_other_services(
    announcing: EmulatedBridge, other_zeroconf: AsyncZeroconf, mac: str
) -> None:
    printer = f"Printer-{mac}"
    await other_zeroconf.async_register_service(service(printer, 631, f"{printer}.local."))
    started = time.monotonic()
    bridges = await discover_bridges(1.5, interfaces=LOOPBACK)
    elapsed = time.monotonic() - started
    assert [bridge for bridge in bridges if bridge.mac == mac] == [
        DiscoveredBridge(
            name=f"LOQED-{mac}",
            host="127.0.0.1",
            port=announcing.port,
            hostname=f"LOQED-{mac}.local",
            mac=mac,
            addresses=("127.0.0.1",),
        )
    ]
    assert all(bridge.name.upper().startswith("LOQED") for bridge in bridges)
    assert bridges == sorted(bridges, key=lambda bridge: (bridge.name, bridge.host))
    assert elapsed < 4  # bounded by the timeout (plus closing)


async def test_reuses_a_running_zeroconf_without_closing_it(
    announcing: EmulatedBridge, other_zeroconf: AsyncZeroconf, mac: str
) -> None:
    bridges = await discover_bridges(1.5, zeroconf=other_zeroconf.zeroconf)
    assert mac in [bridge.mac for bridge in bridges]
    assert not other_zeroconf.zeroconf.done


async def test_a_bridge_that_leaves_during_the_search_is_not_reported(
    other_zeroconf: AsyncZeroconf, mac: str
) -> None:
    name = f"LOQED-{mac}"
    leaving = service(name, 80, f"{name}.local.")
    await other_zeroconf.async_register_service(leaving)

    async def leave() -> None:
        await asyncio.sleep(1.0)
        await other_zeroconf.async_unregister_service(leaving)

    task = asyncio.create_task(leave())
    bridges = await discover_bridges(2.5, interfaces=LOOPBACK)
    await task
    assert name not in [bridge.name for bridge in bridges]


async def test_a_bridge_that_never_resolves_does_not_stretch_the_search(
    other_zeroconf: AsyncZeroconf, mac: str
) -> None:
    # Announced, but without an address record: resolving it would take seconds.
    name = f"LOQED-silent-{mac}"
    silent = ServiceInfo(SERVICE_TYPE, f"{name}.{SERVICE_TYPE}", port=80, server=f"{name}.local.")
    await other_zeroconf.async_register_service(silent)
    started = time.monotonic()
    bridges = await discover_bridges(1.0, interfaces=LOOPBACK)
    assert time.monotonic() - started < 2.5
    assert name not in [bridge.name for bridge in bridges]


def test_names() -> None:
    assert is_loqed_service("LOQED-aabbccddeeff")
    assert is_loqed_service("loqed bridge")
    assert not is_loqed_service("Shelly-1234")
    assert mac_from_name("LOQED-AABBCCDDEEFF") == "aabbccddeeff"
    assert mac_from_name("LOQED-aabbccddeeff.local") == "aabbccddeeff"
    assert mac_from_name("LOQED-gateway") is None


def test_bridge_from_resolved_info() -> None:
    info = AsyncServiceInfo(
        SERVICE_TYPE,
        f"LOQED-aabbccddeeff.{SERVICE_TYPE}",
        addresses=[socket.inet_pton(socket.AF_INET6, "fd00::5"), socket.inet_aton("192.0.2.9")],
        port=8080,
        server="LOQED-aabbccddeeff.local.",
    )
    bridge = bridge_from_info(info)
    assert bridge is not None
    assert (bridge.host, bridge.port, bridge.mac) == ("192.0.2.9", 8080, "aabbccddeeff")
    assert set(bridge.addresses) == {"192.0.2.9", "fd00::5"}


def test_bridge_from_info_falls_back_to_ipv6_then_host_name() -> None:
    only_v6 = AsyncServiceInfo(
        SERVICE_TYPE,
        f"LOQED gateway.{SERVICE_TYPE}",
        addresses=[socket.inet_pton(socket.AF_INET6, "fd00::5")],
        port=80,
        server="LOQED-aabbccddeeff.local.",
    )
    bridge = bridge_from_info(only_v6)
    assert bridge is not None
    assert (bridge.name, bridge.host, bridge.mac) == ("LOQED gateway", "fd00::5", "aabbccddeeff")

    no_address = AsyncServiceInfo(
        SERVICE_TYPE, f"LOQED-x.{SERVICE_TYPE}", port=80, server="LOQED-x.local."
    )
    bridge = bridge_from_info(no_address)
    assert bridge is not None
    assert (bridge.host, bridge.mac) == ("LOQED-x.local", None)

    no_port = AsyncServiceInfo(SERVICE_TYPE, f"LOQED-x.{SERVICE_TYPE}", server="LOQED-x.local.")
    assert bridge_from_info(no_port) is None
