"""Where the CLI takes the bridge address and the keys from.

Order of precedence: command-line option, then environment variable, then the config file (the
"Integration information" JSON of app.loqed.com/API-Config). Keys are read from the environment
or the file only, never from the command line, where other users of the machine could see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import os
from typing import TYPE_CHECKING, Final

from aioloqed.bridge import LoqedBridge
from aioloqed.cli.errors import CliError, ExitCode, explain, missing
from aioloqed.const import DEFAULT_PORT, DEFAULT_REQUEST_TIMEOUT, MAX_KEY_ID
from aioloqed.credentials import LoqedCredentials, parse_host_port
from aioloqed.exceptions import LoqedCredentialsError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

ENV_CONFIG: Final = "LOQED_CONFIG"
ENV_HOST: Final = "LOQED_HOST"
ENV_BRIDGE_KEY: Final = "LOQED_BRIDGE_KEY"
ENV_LOCK_KEY: Final = "LOQED_LOCK_KEY"
ENV_LOCAL_KEY_ID: Final = "LOQED_LOCAL_KEY_ID"
_MAX_CONFIG_SIZE: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class GlobalOptions:
    """Options given before the command name."""

    config: Path | None = None
    host: str | None = None
    json_output: bool = False
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT


@dataclass(frozen=True, slots=True)
class Connection:
    """The resolved address and keys (any key may be missing until a command needs it)."""

    host: str
    port: int = DEFAULT_PORT
    bridge_key: str | None = field(default=None, repr=False)
    lock_key: str | None = field(default=None, repr=False)
    local_key_id: int | None = None

    def bridge(self, request_timeout: float) -> LoqedBridge:
        """Return a client for this bridge."""
        return LoqedBridge(
            host=self.host,
            port=self.port,
            bridge_key=self.bridge_key,
            lock_key=self.lock_key,
            local_key_id=self.local_key_id,
            request_timeout=request_timeout,
        )


def _read_config(path: Path) -> LoqedCredentials:
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_CONFIG_SIZE + 1)
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise CliError(f"Cannot read config file {path}: {reason}", ExitCode.CONFIG) from None
    if len(data) > _MAX_CONFIG_SIZE:
        raise CliError(f"Config file {path} is too large to be one", ExitCode.CONFIG)
    try:
        return LoqedCredentials.from_integration_information(data)
    except LoqedCredentialsError as err:
        raise CliError(f"Config file {path}: {err}", ExitCode.CONFIG) from None


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _key_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CliError(f"{ENV_LOCAL_KEY_ID} is not a number", ExitCode.CONFIG) from None
    if not 0 <= value <= MAX_KEY_ID:
        raise CliError(f"{ENV_LOCAL_KEY_ID} must be 0-{MAX_KEY_ID}", ExitCode.CONFIG)
    return value


def resolve_connection(
    options: GlobalOptions, environ: Mapping[str, str] | None = None
) -> Connection:
    """Combine the options, the environment and the config file into one :class:`Connection`."""
    environ = os.environ if environ is None else environ
    from_file = _read_config(options.config) if options.config is not None else None

    host_text = options.host or _env(environ, ENV_HOST)
    if host_text is not None:
        try:
            host, port = parse_host_port(host_text)
        except LoqedCredentialsError as err:
            raise explain(err) from None
    elif from_file is not None:
        host, port = from_file.host, from_file.port
    else:
        raise missing("bridge address", "host")

    key_id_text = _env(environ, ENV_LOCAL_KEY_ID)
    return Connection(
        host=host,
        port=port,
        bridge_key=_env(environ, ENV_BRIDGE_KEY) or (from_file.bridge_key if from_file else None),
        lock_key=_env(environ, ENV_LOCK_KEY) or (from_file.lock_key if from_file else None),
        local_key_id=(
            _key_id(key_id_text)
            if key_id_text is not None
            else (from_file.local_key_id if from_file else None)
        ),
    )
