"""Private network namespaces: only loopback (with multicast), so nothing can leave the machine.

Home Assistant does mDNS on every interface and many integrations call out to the internet, so every
real Home Assistant that this repository starts runs in a network namespace of its own whose only
interface is ``lo``. Multicast must be enabled on ``lo`` and routed there, otherwise every aiohttp
client session in Home Assistant (it builds a zeroconf resolver) fails with ``ENODEV``.

Three ways in:

* ``python -m tools.netns -- CMD ARGS...`` runs ``CMD`` in a fresh namespace (like ``unshare -n``);
* `enter_private_netns` moves the calling process into a fresh namespace (call it before any thread
  or event loop exists; sockets opened earlier stay in the namespace they were created in, which is
  how the demo keeps a listening socket on the host's loopback);
* `netns_command` builds the argument list of the first form, for ``subprocess``.

Needs root (``CAP_SYS_ADMIN``) or, failing that, unprivileged user namespaces (the process then
becomes root of a user namespace of its own, which owns the network namespace), and the ``ip``
command from iproute2.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
from pathlib import Path
import shutil
import socket
import struct
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

LOOPBACK = "lo"
MULTICAST_NET = "224.0.0.0/4"
_SIOCGIFFLAGS = 0x8913
_IFF_UP = 0x1
_IFF_MULTICAST = 0x1000
# 224.0.0.0/4 as /proc/net/route writes it: destination and mask in host (little endian) byte order.
_MULTICAST_ROUTE = ("000000E0", "000000F0")
_ROUTE_MASK_FIELD = 7
_LOOPBACK_SETUP: tuple[tuple[str, ...], ...] = (
    ("link", "set", LOOPBACK, "up"),
    ("link", "set", LOOPBACK, "multicast", "on"),
    ("route", "add", MULTICAST_NET, "dev", LOOPBACK),
)


class NetnsError(RuntimeError):
    """The process is not (and cannot be put) in a private network namespace."""


def interfaces() -> list[str]:
    """Names of the network interfaces of the calling thread's network namespace.

    Uses the kernel's interface index (not ``/sys/class/net``, which shows the namespace that
    ``/sys`` was mounted in, usually the host's).
    """
    return sorted(name for _, name in socket.if_nameindex())


def in_private_netns() -> bool:
    """Whether the only network interface here is loopback (nothing can leave the machine)."""
    return interfaces() == [LOOPBACK]


def loopback_flags() -> int:
    """Return the ``IFF_*`` flags of ``lo`` in the current namespace."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", LOOPBACK.encode(), 0)
        answer = fcntl.ioctl(sock.fileno(), _SIOCGIFFLAGS, request)
    flags: int = struct.unpack_from("H", answer, 16)[0]
    return flags


def has_multicast_route() -> bool:
    """Whether 224.0.0.0/4 is routed to ``lo`` (``/proc/net/route`` follows the namespace)."""
    try:
        lines = Path("/proc/net/route").read_text(encoding="ascii").splitlines()[1:]
    except OSError:
        return False
    for line in lines:
        fields = line.split()
        if len(fields) <= _ROUTE_MASK_FIELD:
            continue
        if (fields[0], fields[1], fields[_ROUTE_MASK_FIELD]) == (LOOPBACK, *_MULTICAST_ROUTE):
            return True
    return False


def loopback_ready() -> bool:
    """Whether ``lo`` is up, multicast-capable and carries the multicast route."""
    flags = loopback_flags()
    return bool(flags & _IFF_UP) and bool(flags & _IFF_MULTICAST) and has_multicast_route()


def require_private_netns() -> None:
    """Raise `NetnsError` unless this is a private namespace with a usable loopback.

    Called by the harness before it starts Home Assistant.
    """
    if not in_private_netns():
        raise NetnsError(
            "refusing to start Home Assistant outside a private network namespace "
            f"(interfaces here: {', '.join(interfaces())}); run it under "
            "`python -m tools.netns -- ...` or call tools.netns.enter_private_netns() first"
        )
    if not loopback_ready():
        raise NetnsError(
            "loopback in this network namespace is not ready: it needs "
            "`ip link set lo up`, `ip link set lo multicast on`, "
            f"`ip route add {MULTICAST_NET} dev lo`"
        )


def _ip_binary() -> str:
    found = shutil.which("ip") or next(
        (c for c in ("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip") if Path(c).exists()), None
    )
    if found is None:
        raise NetnsError("the `ip` command is needed to set up loopback; install iproute2")
    return found


def configure_loopback() -> None:
    """Bring ``lo`` up with multicast and the multicast route (idempotent)."""
    ip = _ip_binary()
    for args in _LOOPBACK_SETUP:
        if args[0] == "route" and has_multicast_route():
            continue
        result = subprocess.run(  # noqa: S603 - fixed argument list
            [ip, *args], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise NetnsError(f"`ip {' '.join(args)}` failed: {result.stderr.strip()}")


def enter_private_netns() -> None:
    """Move the calling process into a new network namespace with only a configured loopback.

    Only the calling thread moves (and what it starts afterwards: threads, child processes), so
    call it early, before an event loop or a thread pool exists. Sockets created before the call
    stay where they were created.
    """
    try:
        os.unshare(os.CLONE_NEWNET)
    except PermissionError:
        _enter_user_and_net_namespace()
    configure_loopback()


def _enter_user_and_net_namespace() -> None:
    """Without root: a user namespace (mapping us to its root) with a network namespace in it.

    Works where unprivileged user namespaces are allowed, and only while the process has a single
    thread (the kernel refuses ``CLONE_NEWUSER`` otherwise).
    """
    uid, gid = os.getuid(), os.getgid()
    try:
        os.unshare(os.CLONE_NEWUSER | os.CLONE_NEWNET)
        Path("/proc/self/setgroups").write_text("deny", encoding="ascii")
        Path("/proc/self/uid_map").write_text(f"0 {uid} 1", encoding="ascii")
        Path("/proc/self/gid_map").write_text(f"0 {gid} 1", encoding="ascii")
    except OSError as err:
        raise NetnsError(
            "creating a private network namespace is not permitted here: it needs root "
            "(CAP_SYS_ADMIN) or unprivileged user namespaces, and a process with one thread "
            f"({err.strerror})"
        ) from err


def can_create_netns() -> bool:
    """Whether this machine lets us create a private network namespace (checked in a child)."""
    probe = "from tools.netns import enter_private_netns; enter_private_netns()"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        result = subprocess.run(  # noqa: S603 - fixed argument list
            [sys.executable, "-c", probe], capture_output=True, timeout=10, check=False, env=env
        )
        return result.returncode == 0
    return False


def netns_command(argv: Sequence[str]) -> list[str]:
    """Return the argument list that runs ``argv`` in a fresh private namespace."""
    return [sys.executable, "-m", "tools.netns", "--", *argv]


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command in a fresh private network namespace (``python -m tools.netns -- CMD...``)."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.netns",
        description="Run a command in a private network namespace that has only loopback "
        "(with multicast), so that nothing it does can leave the machine.",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command, after `--`")
    args = parser.parse_args(argv)
    command: list[str] = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        parser.error("no command given (usage: python -m tools.netns -- CMD ARGS...)")
    try:
        enter_private_netns()
    except NetnsError as err:
        sys.stderr.write(f"netns: {err}\n")
        return 2
    try:
        os.execvp(command[0], command)  # noqa: S606 - running the user's command is the job
    except OSError as err:
        sys.stderr.write(f"netns: cannot run {command[0]}: {err}\n")
        return 127


if __name__ == "__main__":
    sys.exit(main())
