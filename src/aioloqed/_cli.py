"""Entry point of the ``aioloqed`` command.

The command needs the ``cli`` extra (typer, rich, zeroconf). Without it, say how to install it
instead of failing with an import traceback.
"""

from __future__ import annotations

import sys
from typing import Final

_CLI_PACKAGES: Final = frozenset({"typer", "rich"})
HINT: Final = (
    "The aioloqed command needs the optional CLI dependencies: pip install 'aioloqed[cli]'\n"
)


def main() -> None:
    """Run the ``aioloqed`` command, or explain how to install it."""
    try:
        from aioloqed.cli import app  # noqa: PLC0415 - the extra may be missing
    except ModuleNotFoundError as err:
        if (err.name or "").partition(".")[0] not in _CLI_PACKAGES:
            raise
        sys.stderr.write(HINT)
        raise SystemExit(1) from None
    app(prog_name="aioloqed")
