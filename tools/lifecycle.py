"""One ``async with`` shape for everything the tools start and stop (processes, stacks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from types import TracebackType


class StartStop:
    """``async with`` runs ``start()``; a failed start and the end of the block run ``stop()``."""

    async def start(self) -> None:
        """Start what this object runs."""
        raise NotImplementedError

    async def stop(self) -> Any:
        """Stop what this object runs (also after a failed or partial start)."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        """Start, and stop again if starting fails."""
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop."""
        await self.stop()
