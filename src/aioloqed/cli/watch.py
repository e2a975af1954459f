"""``aioloqed watch``: register a temporary webhook, print what the bridge sends, clean up.

The callback address is the local address this machine uses toward the bridge (found by
connecting a UDP socket, which sends nothing), unless ``--callback-host`` names one. The
registration is removed again on every way out: a count reached, Ctrl-C, SIGTERM, an error.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import ipaddress
import signal
import socket
import sys
import time
from typing import TYPE_CHECKING, Final

from aioloqed.cli.errors import CliError, ExitCode, explain
from aioloqed.cli.render import bolt_words, show_result
from aioloqed.const import WebhookTrigger
from aioloqed.exceptions import LoqedError
from aioloqed.receiver import WebhookReceiver
from aioloqed.state import LockState, reduce_state
from aioloqed.webhook import VerifiedWebhook

if TYPE_CHECKING:
    from collections.abc import Callable

    from aioloqed.bridge import LoqedBridge

_STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True, slots=True)
class WatchOptions:
    """What ``watch`` was asked to do."""

    triggers: WebhookTrigger = WebhookTrigger.ALL
    callback_host: str | None = None
    listen_host: str | None = None
    listen_port: int = 0
    window: float = 30.0
    count: int | None = None
    duration: float | None = None
    as_json: bool = False


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).version == 6  # noqa: PLR2004
    except ValueError:
        return False


async def local_address_toward(host: str, port: int) -> str:
    """Return the local IP address used to reach ``host`` (a UDP connect sends nothing)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except OSError as err:
        raise CliError(
            f"Cannot resolve the bridge address {host}: {err.strerror or err}; use --callback-host",
            ExitCode.UNREACHABLE,
        ) from None
    last_error: OSError | None = None
    for family, kind, proto, _name, address in infos:
        try:
            with socket.socket(family, kind, proto) as probe:
                probe.connect(address)
                return str(probe.getsockname()[0])
        except OSError as err:
            last_error = err
    raise CliError(
        f"No local address leads to the bridge {host} ({last_error}); use --callback-host",
        ExitCode.UNREACHABLE,
    )


def callback_url(host: str, port: int, path: str) -> str:
    """Return the URL the bridge posts to."""
    shown = f"[{host.strip('[]')}]" if _is_ipv6(host) else host
    return f"http://{shown}:{port}{path}"


async def _remove_registration(bridge: LoqedBridge, url: str, limit: float) -> int:
    """Delete every registration of ``url``; return how many were removed."""
    async with asyncio.timeout(limit):
        removed = 0
        for registration in await bridge.webhooks():
            if registration.url == url:
                await bridge.delete_webhook(registration.id)
                removed += 1
        return removed


def _install_stop_handlers(stop: asyncio.Event) -> Callable[[], None]:
    """Let SIGINT and SIGTERM end the watch cleanly; return the undo function."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for signum in _STOP_SIGNALS:
        try:
            loop.add_signal_handler(signum, stop.set)
        except (ValueError, RuntimeError, NotImplementedError):  # not the main thread / Windows
            continue
        installed.append(signum)

    def undo() -> None:
        for signum in installed:
            loop.remove_signal_handler(signum)

    return undo


async def _consume(
    receiver: WebhookReceiver,
    options: WatchOptions,
    clock: Callable[[], float],
    state: LockState,
) -> None:
    seen = 0
    async for result in receiver:
        if isinstance(result, VerifiedWebhook):
            # Only verified webhooks change what we believe about the lock.
            state = reduce_state(state, result.event)
            show_result(result, clock(), as_json=options.as_json, state=state)
        else:
            show_result(result, clock(), as_json=options.as_json)
        seen += 1
        if options.count is not None and seen >= options.count:
            return


async def run_watch(
    bridge: LoqedBridge, options: WatchOptions, clock: Callable[[], float] = time.time
) -> None:
    """Register, print until stopped, then remove the registration."""
    try:
        verifier = bridge.webhook_verifier(window=options.window)
    except LoqedError as err:
        raise explain(err) from None
    callback_host = options.callback_host or await local_address_toward(bridge.host, bridge.port)
    # One status read, so that the first motion is judged against the real bolt position.
    state = LockState.from_status(await bridge.status())
    listen_host = options.listen_host or ("::" if _is_ipv6(callback_host) else "0.0.0.0")  # noqa: S104
    stop = asyncio.Event()
    undo_signals = _install_stop_handlers(stop)
    receiver = WebhookReceiver(verifier, host=listen_host, port=options.listen_port, clock=clock)
    try:
        try:
            await receiver.start()
        except OSError as err:
            raise CliError(
                f"Cannot listen on {listen_host}:{options.listen_port}: {err.strerror or err}",
                ExitCode.ERROR,
            ) from None
        url = callback_url(callback_host, receiver.port, receiver.url_path)
        await bridge.add_webhook(url, options.triggers)
        try:
            _status(
                f"Watching the bridge at {bridge.host}:{bridge.port} (lock: "
                f"{bolt_words(state.bolt_state)}); callback on {callback_host}:{receiver.port}. "
                "Press Ctrl-C to stop."
            )
            await _wait(receiver, options, clock, stop, state)
        finally:
            await _cleanup(bridge, url)
    finally:
        undo_signals()
        await receiver.stop()


async def _wait(
    receiver: WebhookReceiver,
    options: WatchOptions,
    clock: Callable[[], float],
    stop: asyncio.Event,
    state: LockState,
) -> None:
    consumer = asyncio.create_task(_consume(receiver, options, clock, state))
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait(
            {consumer, stopper}, timeout=options.duration, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for task in (consumer, stopper):
            task.cancel()
        await asyncio.gather(consumer, stopper, return_exceptions=True)
    if consumer.done() and not consumer.cancelled():
        consumer.result()  # re-raises what ended the consumer, if anything


async def _cleanup(bridge: LoqedBridge, url: str) -> None:
    try:
        removed = await _remove_registration(bridge, url, max(bridge.request_timeout, 1.0) * 2)
    except (LoqedError, TimeoutError) as err:
        _status(
            f"Could not remove the webhook registration ({str(err) or 'timed out'}); "
            "remove it with 'aioloqed webhooks list' and 'aioloqed webhooks remove ID'"
        )
        return
    _status("Removed the webhook registration." if removed else "No registration to remove.")


def _status(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
