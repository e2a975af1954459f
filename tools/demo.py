"""``scripts/demo``: the bridge emulator and a real Home Assistant with this integration, set up.

Everything runs in a private network namespace (only loopback): Home Assistant's mDNS and any
outgoing call stay on the machine. So that a browser on this machine can still use it, the demo
opens its listening sockets on the host's 127.0.0.1 *before* it enters the namespace and relays
each connection to the same port inside (`tools.forwarder`). ``--check`` does the same unattended
(no forwarding): lock, unlock, open through Home Assistant, the knob at the door, and exits 0 only
if every state arrived.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path
import shutil
import signal
import sys
import tempfile
import time
from typing import TYPE_CHECKING

from tools.forwarder import PortInUseError, TcpForwarder, bind_listener
from tools.hass_harness import HassUser, new_password
from tools.netns import NetnsError, enter_private_netns
from tools.scenario import LoqedStack, StepResult, default_steps, lock_state, run_lock_steps

if TYPE_CHECKING:
    from collections.abc import Sequence
    import socket

DEFAULT_PORT = 8123
CHECK_BUDGET = 60.0  # seconds, --check after setup


def say(line: str = "") -> None:
    """Print one line at once (the demo talks to a person or a CI log)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/demo",
        description="Start the LOQED bridge emulator and a real Home Assistant with the "
        "loqed_bridge integration already set up, in a private network namespace; "
        "the web pages are forwarded to this machine's 127.0.0.1 only.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="unattended: lock, unlock, open through Home Assistant and turn the knob at the "
        "door, check that every state arrives, stop; exit 0 only on PASS",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (config, logs)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="port on 127.0.0.1 for Home Assistant (default %(default)s; 0 = any free port)",
    )
    parser.add_argument(
        "--page-port",
        type=int,
        default=0,
        help="port on 127.0.0.1 for the emulator's page (default: any free port)",
    )
    parser.add_argument(
        "--motor-time",
        type=float,
        default=2.0,
        help="seconds the emulated motor needs per run (default %(default)s)",
    )
    parser.add_argument(
        "--user", default="demo", help="Home Assistant user name (default %(default)s)"
    )
    parser.add_argument(
        "--password", help="Home Assistant password (default: a random one, printed)"
    )
    return parser.parse_args(argv)


class Demo:
    """One run of the demo inside the namespace."""

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        hass_listener: socket.socket | None,
        page_listener: socket.socket | None,
    ) -> None:
        """Keep the arguments and the host-side listening sockets (None with --check)."""
        self.args = args
        self.hass_listener = hass_listener
        self.page_listener = page_listener
        self.workdir = Path(tempfile.mkdtemp(prefix="loqed-demo-"))
        self.password = args.password or new_password(9)
        self.forwarders: list[TcpForwarder] = []
        hass_port = hass_listener.getsockname()[1] if hass_listener else DEFAULT_PORT
        page_port = page_listener.getsockname()[1] if page_listener else 0
        # Inside the namespace every port is free: use the host's numbers so URLs match.
        self.stack = LoqedStack(
            self.workdir,
            hass_port=hass_port,
            control_port=page_port,
            user=HassUser(args.user, self.password),
            motor_time=args.motor_time,
        )

    async def run(self) -> int:
        """Set up, then serve until a signal (or run the check); always clean up."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, stop.set)
        try:
            return await self._run(stop)
        except Exception as err:  # noqa: BLE001 - a person gets the message, not a traceback
            say(f"demo: FAILED: {err}")
            self.say_logs()
            return 1
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                loop.remove_signal_handler(signum)
            await self.cleanup()

    async def _run(self, stop: asyncio.Event) -> int:
        began = time.monotonic()
        setup = asyncio.ensure_future(self.stack.start(progress=lambda s: say(f"demo: {s}")))
        waiter = asyncio.ensure_future(stop.wait())
        await asyncio.wait({setup, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if not setup.done():
            setup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await setup
            say("demo: interrupted during setup")
            return 130
        setup.result()
        say(f"demo: set up in {time.monotonic() - began:.1f} s")
        if self.args.check:
            return await self.check(stop)
        await self.serve(stop)
        return 0

    def say_logs(self) -> None:
        """Tell where the logs are (kept when something failed)."""
        self.args.keep = True
        say(f"demo: logs kept in {self.workdir}")
        say(f"demo:   Home Assistant: {self.workdir / 'hass' / 'home-assistant.log'}")
        say(f"demo:   emulator:       {self.workdir / 'emulator' / 'emulator.log'}")

    async def serve(self, stop: asyncio.Event) -> None:
        """Forward the pages to the host, print where to go, wait for Ctrl-C."""
        stack = self.stack
        for listener, port in (
            (self.hass_listener, stack.hass.port),
            (self.page_listener, stack.emulator.listening_control_port),
        ):
            if listener is not None and port is not None:
                forwarder = TcpForwarder(listener, port)
                await forwarder.start()
                self.forwarders.append(forwarder)
        say()
        say("LOQED demo is running (private network namespace; pages forwarded to 127.0.0.1 only)")
        say(f"  Home Assistant:  {stack.hass.url}/")
        say(f"  user / password: {self.args.user} / {self.password}")
        say(f"  emulator page:   {stack.emulator.page_url}")
        say(f"  lock entity:     {stack.lock_entity} ({await lock_state(stack)})")
        say(f"  logs:            {self.workdir}")
        say("Press Ctrl-C to stop.")
        await stop.wait()
        say()
        say("demo: stopping")

    async def check(self, stop: asyncio.Event) -> int:
        """Operate the lock through Home Assistant and at the door; PASS only if all arrived."""
        stack = self.stack
        say(f"demo: lock entity {stack.lock_entity} is {await lock_state(stack)}")
        registration = await stack.emulator.wait_for_registration()
        say(f"demo: webhook registered on the bridge for {registration.get('host')}")
        results: list[StepResult] = []

        def report(result: StepResult) -> None:
            results.append(result)
            say(format_step(result))

        async with stack.hass.websocket() as ws:
            run = asyncio.ensure_future(run_lock_steps(stack, ws, report=report))
            waiter = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait(
                {run, waiter}, timeout=CHECK_BUDGET, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()
            if run not in done:
                run.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await run
                reason = "interrupted" if stop.is_set() else f"over {CHECK_BUDGET:.0f} s"
                say(f"FAIL ({reason})")
                self.say_logs()
                return 1
            run.result()
        problems = stack.integration_log_problems()
        passed = len(results) == len(default_steps()) and all(r.ok for r in results)
        for line in problems[:10]:
            say(f"demo: integration logged: {line}")
        if passed:
            say("PASS")
            return 0
        say("FAIL")
        self.say_logs()
        return 1

    async def cleanup(self) -> None:
        """Stop forwarding, Home Assistant, the emulator; remove the work dir unless kept."""
        for forwarder in self.forwarders:
            await forwarder.close()
        for listener in (self.hass_listener, self.page_listener):
            if listener is not None:
                listener.close()
        await self.stack.stop()
        if self.args.keep:
            say(f"demo: kept {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
        say("demo: stopped")


def format_step(result: StepResult) -> str:
    """One line per step: verdict, what was done, what arrived and how."""
    verdict = "ok  " if result.ok else "FAIL"
    arrivals = list(result.arrivals)
    motion = next((a for a in result.timeline if a.state.endswith("ing")), None)
    if motion is not None:  # locking / unlocking / opening: the lock confirmed it started
        arrivals.insert(0, motion)
    arrived = ", ".join(f"{a.state} after {a.after:.2f} s" for a in arrivals) or "nothing"
    evidence = result.push_evidence()
    latencies = [e["latency"] for e in evidence if e["outcome"] == "delivered"]
    if evidence and len(latencies) == len(evidence):
        how = f"by webhook, state {max(latencies) * 1000:.0f} ms after it was sent"
    else:
        how = "not by webhook"
    if result.polls_during:
        how += f", {result.polls_during} status poll(s)"
    line = f"{verdict} {result.name:<12} {result.action:<22} {arrived} ({how})"
    if result.error:
        line += f"\n     {result.error}; states seen: {result.states_seen}"
    return line


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``scripts/demo`` (``python -m tools.demo``)."""
    args = parse_args(argv)
    hass_listener = page_listener = None
    if not args.check:
        try:
            hass_listener = bind_listener(args.port)
            page_listener = bind_listener(args.page_port)
        except PortInUseError as err:
            say(f"demo: {err.strerror}; is another Home Assistant running? Try --port 0.")
            return 2
    try:
        enter_private_netns()  # sockets opened above stay on the host's loopback
    except NetnsError as err:
        say(f"demo: {err}")
        return 2
    demo = Demo(args, hass_listener=hass_listener, page_listener=page_listener)
    return asyncio.run(demo.run())


if __name__ == "__main__":
    sys.exit(main())
