"""Optional mDNS announcement of the emulated bridge as ``LOQED-<mac>._http._tcp.local.``.

Only started when asked for, and only on the one address it is given (protocol 7). ``zeroconf`` is
imported lazily so that the emulator runs without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from zeroconf import ServiceInfo
    from zeroconf.asyncio import AsyncZeroconf

_LOGGER = logging.getLogger(__name__)

SERVICE_TYPE: Final = "_http._tcp.local."
_IPV6: Final = 6


def instance_name(mac_wifi: str) -> str:
    """Return the mDNS instance name, e.g. ``LOQED-aabbccddeeff._http._tcp.local.``."""
    return f"LOQED-{mac_wifi}.{SERVICE_TYPE}"


def server_name(mac_wifi: str) -> str:
    """Return the mDNS host name, e.g. ``LOQED-aabbccddeeff.local.``."""
    return f"LOQED-{mac_wifi}.local."


class ZeroconfAnnouncer:
    """Registers the bridge's service on one interface address and withdraws it on stop."""

    def __init__(self, *, mac_wifi: str, address: str, port: int) -> None:
        """Prepare an announcement of ``address:port`` (nothing is sent before ``start``)."""
        self.mac_wifi = mac_wifi
        self.address = address
        self.port = port
        self._zeroconf: AsyncZeroconf | None = None
        self._info: ServiceInfo | None = None
        self._task: asyncio.Task[None] | None = None
        self.registered = asyncio.Event()

    @property
    def name(self) -> str:
        """The instance name announced."""
        return instance_name(self.mac_wifi)

    async def start(self) -> None:
        """Open zeroconf on the address and register in the background (probing takes ~1 s)."""
        from zeroconf import IPVersion, ServiceInfo  # noqa: PLC0415  # optional
        from zeroconf.asyncio import AsyncZeroconf  # noqa: PLC0415

        ip = ipaddress.ip_address(self.address)
        self._zeroconf = AsyncZeroconf(
            interfaces=[self.address],
            ip_version=IPVersion.V6Only if ip.version == _IPV6 else IPVersion.V4Only,
        )
        self._info = ServiceInfo(
            SERVICE_TYPE,
            self.name,
            addresses=[ip.packed],
            port=self.port,
            server=server_name(self.mac_wifi),
            properties={},
        )
        self._task = asyncio.create_task(self._register(), name="loqed-emulator-zeroconf")

    async def _register(self) -> None:
        if self._zeroconf is None or self._info is None:  # pragma: no cover - set by start
            return
        broadcast = await self._zeroconf.async_register_service(self._info)
        await broadcast
        self.registered.set()
        _LOGGER.info("announced %s on %s", self.name, self.address)

    async def stop(self) -> None:
        """Withdraw the announcement (goodbye packets) and close zeroconf."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._zeroconf is not None:
            await self._zeroconf.async_close()  # sends goodbyes for registered services
            self._zeroconf = None
