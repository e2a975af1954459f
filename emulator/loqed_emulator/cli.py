"""Command line of the emulator: flags to ``EmulatorConfig``, then run until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from pathlib import Path
import signal
import sys
from typing import TYPE_CHECKING

from loqed_emulator.bridge import EmulatedBridge
from loqed_emulator.config import (
    DEFAULT_BATTERY_INTERVAL,
    DEFAULT_HOST,
    DEFAULT_KEY_ID,
    DEFAULT_MOTOR_TIME,
    DEFAULT_RELATCH_TIME,
    DEFAULT_WEBHOOK_TIMEOUT,
    ConfigError,
    EmulatorConfig,
    decode_key,
    new_key,
    parse_key_spec,
)
from loqed_emulator.faults import FaultError, Faults, parse_fault_changes
from loqed_emulator.lock import BatteryType, BoltState

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

_EPILOG = """\
Keys are random unless given. Give the file written by --info-file to the client (the LOQED
integration, aioloqed); it holds the keys, so it is written readable by its owner only.
Control API and page: see docs/emulator.md.
"""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (every flag documented in --help)."""
    parser = argparse.ArgumentParser(
        prog="python -m loqed_emulator",
        description="Run an emulated LOQED bridge with its lock: the bridge's local HTTP API, "
        "signed webhooks, a control API with a web page, and fault switches.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    net = parser.add_argument_group("network")
    net.add_argument(
        "--host", default=DEFAULT_HOST, help="address to listen on (default %(default)s)"
    )
    net.add_argument(
        "--port", type=int, default=0, help="bridge API port; 0 picks a free one (default)"
    )
    net.add_argument("--control-host", help="address of the control API (default: --host)")
    net.add_argument(
        "--control-port", type=int, default=0, help="control API port; 0 picks a free one"
    )
    net.add_argument("--ip", help="IP address the bridge reports (default: --host)")
    net.add_argument(
        "--zeroconf", action="store_true", help="announce LOQED-<mac>._http._tcp.local."
    )
    net.add_argument(
        "--zeroconf-interface",
        metavar="ADDRESS",
        help="the one interface address to announce on (default: --ip / --host)",
    )

    ident = parser.add_argument_group("identity and keys")
    ident.add_argument("--name", default="Front door", help="lock name shown on the page")
    ident.add_argument("--mac-wifi", help="bridge Wi-Fi MAC (default: random Espressif address)")
    ident.add_argument("--mac-ble", help="bridge Bluetooth MAC (default: Wi-Fi MAC + 2)")
    ident.add_argument("--lock-id", help="cloud lock id written to the info file")
    ident.add_argument("--bridge-key", metavar="BASE64", help="bridge key (default: random)")
    ident.add_argument("--backend-key", metavar="BASE64", help="backend key (default: random)")
    ident.add_argument(
        "--lock-key", metavar="BASE64", help="key of --local-key-id (default: random)"
    )
    ident.add_argument(
        "--local-key-id",
        type=int,
        help=f"key id written to the info file (default: first --key, else {DEFAULT_KEY_ID})",
    )
    ident.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="ID:BASE64",
        help="a further lock key with its id (0..250); repeatable",
    )
    ident.add_argument("--info-file", type=Path, help="write the Integration information JSON here")

    lock = parser.add_argument_group("lock")
    lock.add_argument(
        "--motor-time",
        type=float,
        default=DEFAULT_MOTOR_TIME,
        help="seconds per motor run (default %(default)s; 0 for tests)",
    )
    lock.add_argument(
        "--relatch-time",
        type=float,
        default=DEFAULT_RELATCH_TIME,
        help="seconds the latch stays open after OPEN (default %(default)s)",
    )
    lock.add_argument(
        "--battery-interval",
        type=float,
        default=DEFAULT_BATTERY_INTERVAL,
        help="seconds between battery webhooks; 0 disables (default %(default)s = 4 h)",
    )
    lock.add_argument(
        "--battery", type=float, default=87.0, help="battery level 0..100 (default %(default)s)"
    )
    lock.add_argument(
        "--battery-type",
        default="nickel_metal_hydride",
        help="alkaline, nickel_metal_hydride, lithium or unknown (default %(default)s)",
    )
    lock.add_argument(
        "--state",
        default="night_lock",
        help="bolt state at start: day_lock or night_lock (default %(default)s)",
    )
    lock.add_argument(
        "--webhook-timeout",
        type=float,
        default=DEFAULT_WEBHOOK_TIMEOUT,
        help="seconds per webhook target before giving up (default %(default)s)",
    )

    faults = parser.add_argument_group(
        "faults (all switchable at run time through the control API)"
    )
    faults.add_argument(
        "--content-type",
        choices=("html", "json"),
        default="html",
        help="answer as text/html (legacy bridge, default) or application/json (Shelly-based)",
    )
    faults.add_argument(
        "--latency-ms", type=float, default=0.0, help="delay every bridge API answer"
    )
    faults.add_argument("--bridge-down", action="store_true", help="start refusing connections")
    faults.add_argument(
        "--http-500", action="store_true", help="answer every bridge API call with 500"
    )
    faults.add_argument("--malformed-json", action="store_true", help="truncate JSON answers")
    faults.add_argument(
        "--unsigned-webhooks", action="store_true", help="send webhooks without TIMESTAMP/HASH"
    )
    faults.add_argument(
        "--lose-webhooks", type=int, default=0, metavar="N", help="lose the next N deliveries"
    )
    faults.add_argument(
        "--webhook-loss-rate",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="lose this share (0..1) of deliveries",
    )
    faults.add_argument(
        "--clock-offset",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="skew of the bridge's webhook timestamps",
    )
    faults.add_argument("--motor-stall", action="store_true", help="stall the next motor run")
    faults.add_argument("--seed", type=int, help="seed for random MACs, lock id and webhook loss")

    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="log level (default %(default)s); logs never show keys or commands",
    )
    return parser


def _lock_keys(args: argparse.Namespace) -> tuple[dict[int, bytes], int]:
    keys: dict[int, bytes] = {}
    for spec in args.key:
        key_id, key = parse_key_spec(spec)
        keys[key_id] = key
    if args.local_key_id is not None:
        primary = int(args.local_key_id)
    elif args.lock_key is not None or not keys:
        primary = DEFAULT_KEY_ID
    else:
        primary = next(iter(keys))
    if args.lock_key is not None:
        keys[primary] = decode_key("--lock-key", args.lock_key)
    keys.setdefault(primary, new_key())
    return keys, primary


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """Turn parsed flags into a configuration; ConfigError/FaultError name the bad flag."""
    keys, primary = _lock_keys(args)
    fault_values = parse_fault_changes(
        {
            "content_type": args.content_type,
            "latency_ms": args.latency_ms,
            "http_500": args.http_500,
            "malformed_json": args.malformed_json,
            "unsigned_webhooks": args.unsigned_webhooks,
            "lose_next_webhooks": args.lose_webhooks,
            "webhook_loss_rate": args.webhook_loss_rate,
            "clock_offset": args.clock_offset,
            "motor_stall_next": args.motor_stall,
        }
    )
    bridge_key = (
        new_key() if args.bridge_key is None else decode_key("--bridge-key", args.bridge_key)
    )
    backend_key = (
        new_key() if args.backend_key is None else decode_key("--backend-key", args.backend_key)
    )
    try:
        battery_type = BatteryType.parse(args.battery_type)
        state = BoltState.parse(args.state)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    return EmulatorConfig(
        host=args.host,
        port=args.port,
        control_host=args.control_host,
        control_port=args.control_port,
        ip_address=args.ip,
        lock_keys=keys,
        local_key_id=primary,
        lock_id=args.lock_id,
        mac_wifi=args.mac_wifi,
        mac_ble=args.mac_ble,
        name=args.name,
        motor_time=args.motor_time,
        relatch_time=args.relatch_time,
        battery_interval=args.battery_interval,
        battery_percentage=args.battery,
        battery_type=battery_type,
        bolt_state=state,
        webhook_timeout=args.webhook_timeout,
        info_file=args.info_file,
        zeroconf=args.zeroconf,
        zeroconf_interface=args.zeroconf_interface,
        seed=args.seed,
        faults=Faults(**fault_values, seed=args.seed),
        bridge_down=args.bridge_down,
        bridge_key=bridge_key,
        backend_key=backend_key,
    )


def _print(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def run(
    config: EmulatorConfig,
    *,
    stop: asyncio.Event | None = None,
    out: Callable[[str], None] | None = None,
) -> None:
    """Run a bridge until ``stop`` is set or SIGINT/SIGTERM arrives; print where it listens."""
    stop = stop if stop is not None else asyncio.Event()
    out = out if out is not None else _print
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)
    try:
        async with EmulatedBridge(config) as bridge:
            out(f"LOQED bridge emulator {config.name!r} (mDNS name {config.mdns_hostname})")
            out(f"  bridge API:   {bridge.url}")
            out(f"  control page: {bridge.control_url}/")
            key_ids = ", ".join(str(key_id) for key_id in sorted(config.lock_keys))
            out(f"  lock key ids: {key_ids} (Integration information uses {config.primary_key_id})")
            if config.info_file is not None:
                out(f"  Integration information written to {config.info_file}")
            else:
                out("  keys are not printed; --info-file PATH writes the Integration information")
            await stop.wait()
            out("stopping")
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m loqed_emulator``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except (ConfigError, FaultError) as err:
        parser.error(str(err))
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        asyncio.run(run(config))
    except OSError as err:
        sys.stderr.write(f"cannot start the emulator: {err}\n")
        return 1
    return 0
