"""``--profile``: where Home Assistant's event loop spends its time on each webhook path.

After the measurements (never during them), pyinstrument samples Home Assistant's event loop
thread while a serial stream of signed events goes to one integration at a time; the call trees
are written as text next to the results. The trees include Home Assistant's HTTP server and
webhook dispatch (the same for all three); compare the subtrees under each integration's
handler: ``PushReceiver.async_handle`` (ours), ``LoqedDataCoordinator._handle_webhook``
(built-in) and ``LimitLock.async_handle_webhook`` (the floor).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from benchmarks.webhooks import burst_event

if TYPE_CHECKING:
    from pathlib import Path

    from benchmarks.probe import Probe
    from benchmarks.stack import BenchStack
    from benchmarks.webhooks import WebhookSender


async def run(
    stack: BenchStack,
    probe: Probe,
    sender: WebhookSender,
    directory: Path,
    *,
    stem: str,
    events: int,
    interval: float = 0.0001,
) -> dict[str, str]:
    """Profile ``events`` events per integration; return the report file names."""
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    paths: dict[str, str] = {}
    for name, target in stack.targets.items():
        path = (directory / f"{stem}-{name}.txt").resolve()
        await probe.start_profile(interval)
        for index in range(events):
            await sender.send(target, burst_event(index))
        await probe.stop_profile(str(path), events)
        paths[name] = path.name
    return paths
