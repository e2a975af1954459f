"""mDNS announcement on 127.0.0.1 only, checked with a unicast query (bounded)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import TYPE_CHECKING

from tests.emulator.helpers import WAIT
from zeroconf import const
from zeroconf._dns import DNSQuestion
from zeroconf._protocol.incoming import DNSIncoming
from zeroconf._protocol.outgoing import DNSOutgoing

from loqed_emulator.zeroconf_announce import ZeroconfAnnouncer, instance_name, server_name

if TYPE_CHECKING:
    from tests.emulator.conftest import BridgeFactory


async def query_ptr(service_type: str) -> list[str]:
    """Ask 127.0.0.1:5353 directly (a legacy unicast query) and return the answers."""
    out = DNSOutgoing(const._FLAGS_QR_QUERY)
    out.add_question(DNSQuestion(service_type, const._TYPE_PTR, const._CLASS_IN))
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.bind(("127.0.0.1", 0))
        for packet in out.packets():
            await loop.sock_sendto(sock, packet, ("127.0.0.1", 5353))
        async with asyncio.timeout(0.5):
            data = await loop.sock_recv(sock, 9000)
    return [str(answer) for answer in DNSIncoming(data).answers()]


async def responses_sent() -> None:
    """Wait until zeroconf has sent the multicast answers it queued (their timers are unowned)."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(WAIT):
        while any(
            "MulticastOutgoingQueue" in getattr(handle._callback, "__qualname__", "")
            for handle in loop._scheduled  # type: ignore[attr-defined]
            if not handle.cancelled()
        ):
            await asyncio.sleep(0.05)


def test_names() -> None:
    assert instance_name("aabbccddeeff") == "LOQED-aabbccddeeff._http._tcp.local."
    assert server_name("aabbccddeeff") == "LOQED-aabbccddeeff.local."


async def test_bridge_announces_itself_on_loopback(make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(zeroconf=True, zeroconf_interface="127.0.0.1")
    announcer = bridge._announcer
    assert announcer is not None
    async with asyncio.timeout(WAIT):
        await announcer.registered.wait()
    # Other zeroconf responders on this host may share port 5353 (SO_REUSEPORT spreads unicast
    # queries by source port), so ask again from a new port until ours answers.
    answers = ""
    async with asyncio.timeout(WAIT):
        while "LOQED-aabbccddeeff" not in answers:
            with contextlib.suppress(TimeoutError):
                answers = " ".join(await query_ptr("_http._tcp.local."))
    assert "LOQED-aabbccddeeff._http._tcp.local." in answers
    assert f"LOQED-aabbccddeeff.local.:{bridge.port}" in answers
    assert "127.0.0.1" in answers
    await responses_sent()


async def test_stop_before_registration_finishes(socket_enabled: None) -> None:
    announcer = ZeroconfAnnouncer(mac_wifi="aabbccddee00", address="127.0.0.1", port=9)
    await announcer.start()
    await announcer.stop()
    assert not announcer.registered.is_set()
    await announcer.stop()  # twice is harmless
