"""Find LOQED bridges on the local network with mDNS (zeroconf).

Bridges announce an ``_http._tcp.local.`` service whose instance name starts with ``LOQED``
(protocol 7), e.g. ``LOQED-aabbccddeeff``, where the hex digits are the bridge's Wi-Fi MAC.
This module needs the ``zeroconf`` package (the ``cli`` extra); it is imported only when a
search starts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import ipaddress
import re
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Sequence

    from zeroconf import ServiceStateChange, Zeroconf
    from zeroconf.asyncio import AsyncServiceInfo

SERVICE_TYPE: Final = "_http._tcp.local."
DEFAULT_DISCOVERY_TIMEOUT: Final = 5.0
_RESOLVE_TIMEOUT_MS: Final = 3000
_MAC_IN_NAME: Final = re.compile(r"^loqed-([0-9a-f]{12})(?:\.|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DiscoveredBridge:
    """A bridge that answered the mDNS search."""

    name: str
    """Instance name without the service type, e.g. ``LOQED-aabbccddeeff``."""
    host: str
    """Address to connect to: the first IPv4 address, else an IPv6 address, else the host name."""
    port: int
    hostname: str | None
    """mDNS host name without the trailing dot, e.g. ``LOQED-aabbccddeeff.local``."""
    mac: str | None
    """Wi-Fi MAC of the bridge (12 lower-case hex digits) when its name carries one."""
    addresses: tuple[str, ...] = ()


def is_loqed_service(name: str) -> bool:
    """Whether an mDNS instance name belongs to a LOQED bridge (``LOQED*``, any case)."""
    return name.upper().startswith("LOQED")


def mac_from_name(name: str) -> str | None:
    """Return the Wi-Fi MAC in a name like ``LOQED-aabbccddeeff`` (or its ``.local`` host)."""
    match = _MAC_IN_NAME.match(name)
    return match.group(1).lower() if match else None


def _instance_name(full_name: str) -> str:
    suffix = f".{SERVICE_TYPE}"
    return full_name[: -len(suffix)] if full_name.endswith(suffix) else full_name.rstrip(".")


def bridge_from_info(info: AsyncServiceInfo) -> DiscoveredBridge | None:
    """Turn a resolved service into a :class:`DiscoveredBridge` (None without address or port)."""
    addresses = tuple(info.parsed_scoped_addresses())
    hostname = info.server.rstrip(".") if info.server else None
    if info.port is None or not (addresses or hostname):
        return None
    ipv4 = [a for a in addresses if ipaddress.ip_address(a.split("%")[0]).version == 4]  # noqa: PLR2004
    host = ipv4[0] if ipv4 else (addresses[0] if addresses else str(hostname))
    name = _instance_name(info.name)
    return DiscoveredBridge(
        name=name,
        host=host,
        port=int(info.port),
        hostname=hostname,
        mac=mac_from_name(name) or (mac_from_name(hostname) if hostname else None),
        addresses=addresses,
    )


async def discover_bridges(
    timeout: float = DEFAULT_DISCOVERY_TIMEOUT,  # noqa: ASYNC109 - the search length
    *,
    interfaces: Sequence[str] | None = None,
    zeroconf: Zeroconf | None = None,
) -> list[DiscoveredBridge]:
    """Browse for LOQED bridges for ``timeout`` seconds and return those that resolved.

    ``zeroconf`` may be a running :class:`zeroconf.Zeroconf` to reuse (it is not closed);
    otherwise one is created on ``interfaces`` (default: all) and closed afterwards.
    The search never takes longer than ``timeout``. Results are sorted by name.
    """
    from zeroconf import ServiceStateChange  # noqa: PLC0415 - zeroconf is an optional extra
    from zeroconf.asyncio import (  # noqa: PLC0415
        AsyncServiceBrowser,
        AsyncServiceInfo,
        AsyncZeroconf,
    )

    owned: AsyncZeroconf | None = None
    if zeroconf is None:
        kwargs: dict[str, Any] = {} if interfaces is None else {"interfaces": list(interfaces)}
        owned = AsyncZeroconf(**kwargs)
        zeroconf = owned.zeroconf
    found: dict[str, DiscoveredBridge] = {}
    tasks: set[asyncio.Task[None]] = set()

    async def resolve(full_name: str) -> None:
        info = AsyncServiceInfo(SERVICE_TYPE, full_name)
        if await info.async_request(zeroconf, _RESOLVE_TIMEOUT_MS):
            bridge = bridge_from_info(info)
            if bridge is not None:
                found[full_name] = bridge

    def on_change(
        zeroconf: Zeroconf,  # noqa: ARG001 - the browser passes these by name
        service_type: str,  # noqa: ARG001
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        if state_change is ServiceStateChange.Removed:
            found.pop(name, None)
            return
        if is_loqed_service(_instance_name(name)):
            task = asyncio.get_running_loop().create_task(resolve(name))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    browser = AsyncServiceBrowser(zeroconf, SERVICE_TYPE, handlers=[on_change])
    try:
        await asyncio.sleep(max(0.0, timeout))
    finally:
        pending = list(tasks)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await browser.async_cancel()
        if owned is not None:
            await owned.async_close()
    return sorted(found.values(), key=lambda bridge: (bridge.name, bridge.host))
