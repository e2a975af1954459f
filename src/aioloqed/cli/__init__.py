"""The ``aioloqed`` command (needs the ``cli`` extra: typer, rich, zeroconf)."""

from aioloqed.cli.app import app

__all__ = ["app"]
