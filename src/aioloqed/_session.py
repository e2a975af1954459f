"""The aiohttp session of a client: injected (never closed here) or created and owned."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Self

import aiohttp

if TYPE_CHECKING:
    from types import TracebackType


class SessionOwner:
    """Give a client ``_get_session``, ``close`` and ``async with``.

    The client declares ``session`` (the injected session or ``None``) and ``_close_session``
    (``False`` at start). A session it creates itself uses the system resolver, which also knows
    mDNS names such as ``LOQED-aabbccddeeff.local``; only such a session is closed by ``close``.
    """

    session: aiohttp.ClientSession | None
    _close_session: bool
    _force_close: ClassVar[bool] = False
    """One TCP connection per request for sessions the client creates."""

    def _get_session(self) -> aiohttp.ClientSession:
        if self.session is None:
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    force_close=self._force_close, resolver=aiohttp.ThreadedResolver()
                )
            )
            self._close_session = True
        return self.session

    async def close(self) -> None:
        """Close the session if this client created it."""
        if self.session is not None and self._close_session:
            await self.session.close()
            self.session = None
            self._close_session = False

    async def __aenter__(self) -> Self:
        """Use the client as an async context manager."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the session if this client created it."""
        await self.close()
