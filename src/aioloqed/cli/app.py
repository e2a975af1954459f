"""Commands of ``aioloqed``: status, lock, unlock, open, webhooks, watch, discover."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
import contextlib
from pathlib import Path
import sys
from typing import Annotated, TypeVar

import typer

from aioloqed.bridge import USER_AGENT, LoqedBridge
from aioloqed.cli import render
from aioloqed.cli.errors import CliError, ExitCode, explain
from aioloqed.cli.settings import (
    ENV_CONFIG,
    ENV_HOST,
    Connection,
    GlobalOptions,
    resolve_connection,
)
from aioloqed.cli.watch import WatchOptions, run_watch
from aioloqed.const import (
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_TIMESTAMP_WINDOW,
    LockAction,
    WebhookTrigger,
)
from aioloqed.exceptions import LoqedError
from aioloqed.state import SentCommand

T = TypeVar("T")

app = typer.Typer(
    name="aioloqed",
    help=(
        "Talk to a LOQED bridge on your network: read its status, lock and unlock, "
        "manage its webhooks and watch its events.\n\n"
        "Keys come from --config (the Integration information JSON of app.loqed.com/API-Config) "
        "or from LOQED_BRIDGE_KEY, LOQED_LOCK_KEY and LOQED_LOCAL_KEY_ID; never from the "
        "command line."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
webhooks_app = typer.Typer(
    help="List, add and remove the bridge's webhook registrations.", no_args_is_help=True
)
app.add_typer(webhooks_app, name="webhooks")

TRIGGER_CHOICES = sorted(
    [str(member.name).lower() for member in WebhookTrigger if member is not WebhookTrigger.ALL]
)
"""Names accepted by ``--trigger``, plus ``all``."""

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON instead of tables (for scripts).")
]
TriggerOption = Annotated[
    list[str] | None,
    typer.Option(
        "--trigger",
        "-t",
        help=f"Event to send (repeatable; default all): all, {', '.join(TRIGGER_CHOICES)}.",
        show_default=False,
    ),
]


def _version(value: bool) -> None:
    if value:
        print(USER_AGENT.replace("/", " "))
        raise typer.Exit


@app.callback()
def main(  # noqa: PLR0917 - typer passes every option by position
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            envvar=ENV_CONFIG,
            help="Integration information JSON file from app.loqed.com/API-Config.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            "-H",
            envvar=ENV_HOST,
            help="Bridge address as HOST or HOST:PORT; overrides the config file.",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
    request_timeout: Annotated[
        float,
        typer.Option(
            "--request-timeout", min=0.1, help="Seconds to wait for each answer of the bridge."
        ),
    ] = DEFAULT_REQUEST_TIMEOUT,
    version: Annotated[  # noqa: ARG001 - handled by the callback
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Options that apply to every command."""
    ctx.obj = GlobalOptions(
        config=config, host=host, json_output=json_output, request_timeout=request_timeout
    )


# ---------------------------------------------------------------------- plumbing


def _options(ctx: typer.Context) -> GlobalOptions:
    options = ctx.find_root().obj
    if not isinstance(options, GlobalOptions):  # pragma: no cover - set by the callback
        options = GlobalOptions()
    return options


def _fail(message: str, code: ExitCode) -> typer.Exit:
    print(f"Error: {message}", file=sys.stderr)
    return typer.Exit(int(code))


@contextlib.contextmanager
def _expected_failures() -> Iterator[None]:
    """Turn expected failures into one line on stderr and an exit code."""
    try:
        yield
    except CliError as err:
        raise _fail(str(err), err.code) from None
    except LoqedError as err:
        failure = explain(err)
        raise _fail(str(failure), failure.code) from None
    except KeyboardInterrupt:
        raise _fail("Interrupted", ExitCode.INTERRUPTED) from None


def _with_bridge(
    ctx: typer.Context, action: Callable[[LoqedBridge, Connection], Awaitable[T]]
) -> T:
    """Resolve the connection, run ``action`` with a bridge client, close it, map failures."""
    options = _options(ctx)
    with _expected_failures():
        connection = resolve_connection(options)

        async def run() -> T:
            async with connection.bridge(options.request_timeout) as bridge:
                return await action(bridge, connection)

        return asyncio.run(run())
    raise AssertionError  # pragma: no cover - the context manager returns or raises


def _as_json(ctx: typer.Context, local: bool) -> bool:
    return local or _options(ctx).json_output


def _parse_triggers(names: list[str] | None) -> WebhookTrigger:
    if not names:
        return WebhookTrigger.ALL
    value = WebhookTrigger(0)
    for name in names:
        for part in name.split(","):
            key = part.strip().lower().replace("-", "_")
            if key == "all":
                value |= WebhookTrigger.ALL
            elif key in TRIGGER_CHOICES:
                value |= WebhookTrigger[key.upper()]
            else:
                choices = ", ".join(["all", *TRIGGER_CHOICES])
                raise typer.BadParameter(f"unknown trigger {part!r}; choose from {choices}")
    return value


# ---------------------------------------------------------------------- commands


@app.command()
def status(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Show the lock and bridge status (GET /status; needs no key)."""
    result = _with_bridge(ctx, lambda bridge, _connection: bridge.status())
    render.show_status(result, as_json=_as_json(ctx, json_output))


def _command(ctx: typer.Context, action: LockAction, json_output: bool) -> None:

    async def send(bridge: LoqedBridge, _connection: Connection) -> tuple[SentCommand, str]:
        return await bridge.send_command(action), bridge.base_url.removeprefix("http://")

    sent, where = _with_bridge(ctx, send)
    render.show_command(sent, where, as_json=_as_json(ctx, json_output))


@app.command()
def lock(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Night lock (needs the lock key and its local key id)."""
    _command(ctx, LockAction.LOCK, json_output)


@app.command()
def unlock(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Day lock: unlocked, latch only (needs the lock key and its local key id)."""
    _command(ctx, LockAction.UNLOCK, json_output)


@app.command(name="open")
def open_(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Pull the latch to open the door; the lock returns to day lock by itself."""
    _command(ctx, LockAction.OPEN, json_output)


@webhooks_app.command(name="list")
def webhooks_list(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """List the webhooks registered on the bridge (needs the bridge key)."""
    registrations = _with_bridge(ctx, lambda bridge, _connection: bridge.webhooks())
    render.show_webhooks(registrations, as_json=_as_json(ctx, json_output))


@webhooks_app.command(name="add")
def webhooks_add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Callback URL (http:// or https://).")],
    trigger: TriggerOption = None,
    json_output: JsonOption = False,
) -> None:
    """Register a callback URL on the bridge (needs the bridge key)."""
    triggers = _parse_triggers(trigger)
    if not url.startswith(("http://", "https://")):
        raise typer.BadParameter("the URL must start with http:// or https://", param_hint="URL")

    async def add(bridge: LoqedBridge, _connection: Connection) -> None:
        await bridge.add_webhook(url, triggers)

    _with_bridge(ctx, add)
    if _as_json(ctx, json_output):
        render.print_json(
            {
                "added": url,
                "triggers": int(triggers),
                "trigger_names": render.trigger_names(triggers),
            }
        )
    else:
        print(f"Registered {url} on the bridge.")


@webhooks_app.command(name="remove")
def webhooks_remove(
    ctx: typer.Context,
    webhook_ids: Annotated[
        list[int], typer.Argument(metavar="ID...", help="Ids from 'aioloqed webhooks list'.", min=0)
    ],
    json_output: JsonOption = False,
) -> None:
    """Remove webhook registrations by id (needs the bridge key)."""

    async def remove(bridge: LoqedBridge, _connection: Connection) -> None:
        for webhook_id in webhook_ids:
            await bridge.delete_webhook(webhook_id)

    _with_bridge(ctx, remove)
    if _as_json(ctx, json_output):
        render.print_json({"removed": webhook_ids})
    else:
        for webhook_id in webhook_ids:
            print(f"Removed webhook {webhook_id}.")


@app.command()
def watch(  # noqa: PLR0917 - typer passes every option by position
    ctx: typer.Context,
    trigger: TriggerOption = None,
    callback_host: Annotated[
        str | None,
        typer.Option(
            help="Address the bridge should post to (default: this machine's address toward "
            "the bridge).",
            show_default=False,
        ),
    ] = None,
    listen_host: Annotated[
        str | None,
        typer.Option(help="Address to listen on (default: all).", show_default=False),
    ] = None,
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port to listen on (0: any free port).")
    ] = 0,
    window: Annotated[
        float, typer.Option(min=0, help="Seconds a webhook's TIMESTAMP may differ from our clock.")
    ] = DEFAULT_TIMESTAMP_WINDOW,
    count: Annotated[
        int | None,
        typer.Option(min=1, help="Stop after this many webhooks.", show_default=False),
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option(min=0, help="Stop after this many seconds.", show_default=False),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Print the bridge's webhooks as they come (registers a temporary webhook).

    Every webhook is verified with the bridge key. The registration is removed on exit,
    also after Ctrl-C or SIGTERM.
    """
    options = WatchOptions(
        triggers=_parse_triggers(trigger),
        callback_host=callback_host,
        listen_host=listen_host,
        listen_port=port,
        window=window,
        count=count,
        duration=duration,
        as_json=_as_json(ctx, json_output),
    )
    _with_bridge(ctx, lambda bridge, _connection: run_watch(bridge, options))


@app.command()
def discover(
    ctx: typer.Context,
    timeout: Annotated[
        float, typer.Option(min=0.1, max=120, help="Seconds to listen for bridges.")
    ] = 5.0,
    interface: Annotated[
        list[str] | None,
        typer.Option(
            help="Local IP address to search from (repeatable; default: every interface).",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Find LOQED bridges on the local network (mDNS); needs no key."""
    try:
        import zeroconf  # noqa: F401, PLC0415 - only to give a clear hint when it is missing

        from aioloqed.discovery import discover_bridges  # noqa: PLC0415
    except ImportError:
        raise _fail(
            "discover needs zeroconf: pip install 'aioloqed[cli]'", ExitCode.ERROR
        ) from None
    with _expected_failures():
        bridges = asyncio.run(discover_bridges(timeout, interfaces=interface or None))
    as_json = _as_json(ctx, json_output)
    if not bridges and not as_json:
        print(f"No LOQED bridge answered within {timeout:g} s.", file=sys.stderr)
        return
    render.show_bridges(bridges, as_json=as_json)
