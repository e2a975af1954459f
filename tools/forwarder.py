"""Relay TCP connections from the host's loopback into a private network namespace's loopback.

The demo runs Home Assistant and the emulator in a private network namespace, where a browser on
the host cannot reach them. Before the demo process enters the namespace it opens listening sockets
on the host's 127.0.0.1 (`bind_listener`); a socket keeps the namespace it was created in. After
entering, every connection it accepts there is relayed by `TcpForwarder` to 127.0.0.1:port *inside*
the namespace (new sockets are created in the namespace the process is in now). Only loopback on
both sides: nothing is exposed to the network and nothing inside can reach out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

_LOGGER = logging.getLogger(__name__)
_CHUNK = 64 * 1024
LOOPBACK_HOST = "127.0.0.1"


class PortInUseError(OSError):
    """The host port the demo wants to offer is taken by another program."""


def bind_listener(port: int, host: str = LOOPBACK_HOST) -> socket.socket:
    """Open a listening TCP socket on ``host:port`` in the current namespace (0 = any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)  # noqa: FBT003 - socket API
    except OSError as err:
        sock.close()
        raise PortInUseError(err.errno, f"cannot listen on {host}:{port}: {err.strerror}") from err
    return sock


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy ``reader`` to ``writer`` until EOF, then half-close ``writer``."""
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()


class TcpForwarder:
    """Serve a listening socket; relay each connection to ``target_host:target_port``."""

    def __init__(
        self, listener: socket.socket, target_port: int, target_host: str = LOOPBACK_HOST
    ) -> None:
        """Take ownership of ``listener`` (closed by `close`)."""
        self._listener = listener
        self.target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.accepted = 0

    @property
    def address(self) -> tuple[str, int]:
        """The host address it listens on."""
        host, port = self._listener.getsockname()[:2]
        return str(host), int(port)

    async def start(self) -> None:
        """Start accepting."""
        self._server = await asyncio.start_server(self._handle, sock=self._listener)

    async def _handle(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        self.accepted += 1
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            try:
                upstream_reader, upstream = await asyncio.open_connection(*self.target)
            except OSError as err:
                _LOGGER.debug("forward to %s:%s failed: %s", *self.target, err)
                return
            try:
                await asyncio.gather(_pipe(client_reader, upstream), _pipe(upstream_reader, client))
            finally:
                upstream.close()
                with contextlib.suppress(ConnectionError, OSError):
                    await upstream.wait_closed()
        finally:
            client.close()
            with contextlib.suppress(ConnectionError, OSError):
                await client.wait_closed()
            if task is not None:
                self._connections.discard(task)

    async def close(self) -> None:
        """Stop accepting, drop open connections, close the listening socket."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self._server.wait_closed()
            self._server = None
        self._listener.close()
