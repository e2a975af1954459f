"""Run a real Home Assistant process and drive it over its own REST and websocket APIs.

Used by the demo, the end-to-end test, the reliability suite and the benchmarks::

    from tools.hass_harness import HomeAssistant
    from tools.netns import enter_private_netns

    enter_private_netns()                  # or run the program under `python -m tools.netns --`
    async with HomeAssistant() as hass:    # fresh config dir, onboarded, user added, started, token
        result = await hass.config_flow("loqed_bridge", [{"next_step_id": "paste"}, {...}])
        async with hass.websocket() as ws, ws.watch_states() as states:
            await hass.call_service("lock", "lock", {"entity_id": "lock.loqed_c0ffee"})
            await states.wait_for("lock.loqed_c0ffee", "locked", timeout=10)

What it does, in order (`HomeAssistant.start`):

1. refuses to run unless this is a private network namespace (`tools.netns.require_private_netns`);
2. writes a config dir: ``config/configuration.yaml`` with the chosen port (http bound to
   127.0.0.1, ``internal_url`` on that port), ``custom_components/<name>`` symlinks, a seeded
   ``.storage/onboarding`` (so no browser is needed) and the user, added with
   ``hass --script auth add``;
3. starts ``hass -c CFG --skip-pip`` in its own session (a Ctrl-C at the terminal does not reach
   it; `HomeAssistant.stop` stops it), waits for ``/manifest.json``;
4. logs in through the login flow and trades the code for an access token, then waits until the
   core reports ``RUNNING``.

`HomeAssistant.stop` sends SIGTERM, waits a bounded time, then kills the process group, and
removes a temporary config dir. `HomeAssistant.restart` stops and starts again on the same config
dir, port and user (what Home Assistant stored survives, as after a real restart).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ctypes
from dataclasses import dataclass, field
import json
import logging
import os
from pathlib import Path
import secrets
import shutil
import signal
import socket
import string
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp
import yaml  # type: ignore[import-untyped,unused-ignore]  # types-PyYAML is optional

from tools.lifecycle import StartStop
from tools.netns import require_private_netns

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping, Sequence

_LOGGER = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
INTEGRATION_DIR = REPO_ROOT / "custom_components" / "loqed_bridge"
DEFAULT_CONFIGURATION = REPO_ROOT / "config" / "configuration.yaml"
LOOPBACK_HOST = "127.0.0.1"

JSONObject = dict[str, Any]

_ONBOARDING_DONE: JSONObject = {
    "version": 4,
    "minor_version": 1,
    "key": "onboarding",
    "data": {"done": ["user", "core_config", "analytics", "integration"]},
}
_FALLBACK_CONFIGURATION: JSONObject = {
    "homeassistant": {
        "name": "LOQED test",
        "latitude": 52.37,
        "longitude": 4.89,
        "elevation": 0,
        "unit_system": "metric",
        "time_zone": "Europe/Amsterdam",
        "country": "NL",
        "currency": "EUR",
    },
    "http": {},
    "api": None,
    "config": None,
    "webhook": None,
    "logger": {
        "default": "info",
        "logs": {"custom_components.loqed_bridge": "debug", "aioloqed": "debug"},
    },
}
_POLL_INTERVAL = 0.1
_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded here: the child only calls it


class HarnessError(RuntimeError):
    """Something in the harness failed; the message says what and where to look."""


class HassStartError(HarnessError):
    """Home Assistant did not start (or was refused to start)."""


class HassApiError(HarnessError):
    """A REST or websocket call answered with an error."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        """Keep the HTTP status (None for websocket errors) and the decoded answer."""
        super().__init__(message)
        self.status = status
        self.body = body


def free_port(host: str = LOOPBACK_HOST) -> int:
    """Return a TCP port that is free on ``host`` now (in the current network namespace)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _venv_bin() -> Path:
    return Path(sys.executable).parent


def hass_command() -> list[str]:
    """How to run Home Assistant: the venv's ``hass`` next to this interpreter, else ``-m``."""
    hass = _venv_bin() / "hass"
    if hass.exists():
        return [str(hass)]
    return [sys.executable, "-m", "homeassistant"]


def build_configuration(
    port: int, base: Mapping[str, Any] | None = None, *, host: str = LOOPBACK_HOST
) -> JSONObject:
    """Return configuration.yaml's content: ``base`` with http on ``host:port``.

    Also sets ``internal_url`` to that address: the integration registers its webhook at the
    internal URL, and Home Assistant never offers a loopback address on its own.
    """
    source = base if base is not None else _FALLBACK_CONFIGURATION
    config: JSONObject = json.loads(json.dumps(source))
    core = config.get("homeassistant") or {}
    core["internal_url"] = f"http://{host}:{port}"
    config["homeassistant"] = core
    http = config.get("http") or {}
    http["server_host"] = host
    http["server_port"] = port
    config["http"] = http
    return config


def load_base_configuration(path: Path | None = DEFAULT_CONFIGURATION) -> JSONObject:
    """Read a configuration.yaml to start from (plain YAML, no Home Assistant tags)."""
    if path is None or not path.exists():
        return json.loads(json.dumps(_FALLBACK_CONFIGURATION))  # type: ignore[no-any-return]
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise HarnessError(f"{path} is not a YAML mapping")
    return loaded


def write_config_dir(
    directory: Path,
    *,
    port: int,
    base_configuration: Path | None = DEFAULT_CONFIGURATION,
    custom_components: Sequence[Path] = (INTEGRATION_DIR,),
) -> None:
    """Write configuration.yaml, link the custom integrations and seed onboarding as done."""
    directory.mkdir(parents=True, exist_ok=True)
    config = build_configuration(port, load_base_configuration(base_configuration))
    (directory / "configuration.yaml").write_text(
        yaml.safe_dump(config, sort_keys=False), encoding="utf-8"
    )
    components = directory / "custom_components"
    components.mkdir(exist_ok=True)
    # A regular package here takes precedence over the repository's namespace package of the
    # same name (on sys.path through the venv), so the integrations linked below are the ones
    # Home Assistant loads.
    (components / "__init__.py").write_text("", encoding="utf-8")
    for source in custom_components:
        if not (source / "manifest.json").exists():
            raise HarnessError(f"{source} is not an integration (no manifest.json)")
        link = components / source.name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(source.resolve(), target_is_directory=True)
    storage = directory / ".storage"
    storage.mkdir(exist_ok=True)
    (storage / "onboarding").write_text(json.dumps(_ONBOARDING_DONE), encoding="utf-8")


def die_with_parent() -> None:
    """In a child, before exec: get SIGTERM when the process that started it dies.

    Pass as ``preexec_fn`` so that a killed test run or demo does not leave Home Assistant (or
    the emulator) running in a namespace nobody can reach any more.
    """
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment for child processes: ours, with the repository's code importable."""
    env = dict(os.environ)
    paths = [str(REPO_ROOT / "src"), str(REPO_ROOT / "emulator"), str(REPO_ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("PYTHONUNBUFFERED", "1")
    if extra:
        env.update(extra)
    return env


def user_exists(directory: Path, username: str) -> bool:
    """Whether the config dir already has a Home Assistant login ``username``."""
    store = directory / ".storage" / "auth_provider.homeassistant"
    try:
        users = json.loads(store.read_text(encoding="utf-8"))["data"]["users"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return any(user.get("username") == username for user in users)


def new_password(length: int = 12) -> str:
    """Return a random password that ``hass --script auth`` takes: it starts with a letter.

    The script's argument parser reads a value starting with "-" as an option (one URL-safe
    random password in 64 does), and there is no way to pass one.
    """
    return secrets.choice(string.ascii_letters) + secrets.token_urlsafe(length)


async def add_user(
    directory: Path,
    username: str,
    password: str,
    *,
    timeout: float = 60,  # noqa: ASYNC109 - the bound is part of the error message
) -> None:
    """Add a Home Assistant login with ``hass --script auth add`` (admin on its first login)."""
    for value, what in ((username, "user name"), (password, "password")):
        if value.startswith("-"):
            raise HarnessError(f"`hass --script auth add` cannot take a {what} starting with '-'")
    process = await asyncio.create_subprocess_exec(
        *hass_command(),
        "--script",
        "auth",
        "-c",
        str(directory),
        "add",
        username,
        password,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=child_env(),
    )
    try:
        async with asyncio.timeout(timeout):
            output, _ = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise HarnessError(f"`hass --script auth add` did not finish in {timeout} s") from None
    if process.returncode != 0:
        text = output.decode(errors="replace").replace(password, "***")
        raise HarnessError(f"`hass --script auth add` failed ({process.returncode}): {text}")


@dataclass(frozen=True, slots=True)
class HassUser:
    """A Home Assistant login (the password never appears in repr)."""

    username: str = "dev"
    password: str = field(default_factory=new_password, repr=False)


@dataclass(frozen=True, slots=True)
class StateChange:
    """One ``state_changed`` event as the harness received it."""

    entity_id: str
    state: str | None
    old_state: str | None
    attributes: JSONObject
    received: float  # time.monotonic() when the harness read it
    wall: float  # time.time() at the same moment
    context_id: str | None

    @classmethod
    def from_event(cls, event: Mapping[str, Any], received: float) -> StateChange:
        """Build from the ``event`` of a websocket event message."""
        data = event.get("data") or {}
        new = data.get("new_state") or {}
        old = data.get("old_state") or {}
        return cls(
            entity_id=str(data.get("entity_id")),
            state=new.get("state"),
            old_state=old.get("state"),
            attributes=dict(new.get("attributes") or {}),
            received=received,
            wall=time.time() - (time.monotonic() - received),
            context_id=(event.get("context") or {}).get("id"),
        )


class StateWatcher:
    """Every ``state_changed`` event since the subscription, with a way to wait for one.

    Created by `HassWebSocket.watch_states`. Events are kept in order (`changes`); `wait_for`
    looks at events not yet consumed by an earlier `wait_for`, so a sequence of waits checks a
    sequence of states without missing one that arrived early.
    """

    def __init__(self) -> None:
        """Start empty."""
        self.changes: list[StateChange] = []
        self._cursor: dict[str, int] = {}
        self._arrived = asyncio.Event()

    def add(self, change: StateChange) -> None:
        """Record an event and wake the waiters."""
        self.changes.append(change)
        self._arrived.set()

    def _find(self, entity_id: str, accept: Callable[[StateChange], bool]) -> StateChange | None:
        start = self._cursor.get(entity_id, 0)
        for index in range(start, len(self.changes)):
            change = self.changes[index]
            if change.entity_id == entity_id and accept(change):
                self._cursor[entity_id] = index + 1
                return change
        return None

    async def wait_for(
        self,
        entity_id: str,
        state: str | Callable[[StateChange], bool],
        *,
        timeout: float,  # noqa: ASYNC109 - the bound is part of the error message
    ) -> StateChange:
        """Return the next change of ``entity_id`` to ``state`` (or matching the predicate).

        Raises `TimeoutError` with the states seen meanwhile when none arrives in ``timeout``.
        """
        accept = state if callable(state) else (lambda change: change.state == state)
        try:
            async with asyncio.timeout(timeout):
                while (found := self._find(entity_id, accept)) is None:
                    self._arrived.clear()
                    await self._arrived.wait()
                return found
        except TimeoutError:
            seen = [c.state for c in self.changes if c.entity_id == entity_id]
            wanted = state if isinstance(state, str) else "a matching state"
            raise TimeoutError(
                f"{entity_id} did not change to {wanted} within {timeout} s (states seen: {seen})"
            ) from None


class HassWebSocket(StartStop):
    """A client of Home Assistant's websocket API (``/api/websocket``), authenticated."""

    def __init__(
        self, session: aiohttp.ClientSession, url: str, token: str, *, request_timeout: float = 30
    ) -> None:
        """Prepare; `start` (or ``async with``) opens it. Every call is bounded by the timeout."""
        self.request_timeout = request_timeout
        self._session = session
        self._url = url
        self._token = token
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._next_id = 1
        self._pending: dict[int, asyncio.Future[JSONObject]] = {}
        self._subscriptions: dict[int, Callable[[JSONObject, float], Any]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect and authenticate."""
        async with asyncio.timeout(self.request_timeout):
            self._ws = await self._session.ws_connect(self._url, max_msg_size=0)
            hello = await self._ws.receive_json()
            if hello.get("type") != "auth_required":
                raise HassApiError(f"unexpected websocket greeting {hello.get('type')!r}")
            await self._ws.send_json({"type": "auth", "access_token": self._token})
            answer = await self._ws.receive_json()
            if answer.get("type") != "auth_ok":
                raise HassApiError(f"websocket authentication failed: {answer.get('type')!r}")
        self._reader = asyncio.create_task(self._read(), name="hass-websocket-reader")

    @property
    def closed(self) -> bool:
        """Whether the connection is closed (or never opened)."""
        return self._ws is None or self._ws.closed

    async def stop(self) -> None:
        """Close the connection and stop the reader."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        for future in self._pending.values():
            if not future.done():
                future.set_exception(HassApiError("websocket closed"))
        self._pending.clear()

    async def _read(self) -> None:
        assert self._ws is not None  # noqa: S101 - set by connect before the task starts
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            received = time.monotonic()
            payload = json.loads(message.data)
            for item in payload if isinstance(payload, list) else [payload]:
                self._dispatch(item, received)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(HassApiError("websocket closed by Home Assistant"))

    def _dispatch(self, item: JSONObject, received: float) -> None:
        ident = item.get("id")
        if not isinstance(ident, int):
            return
        if item.get("type") == "event" and ident in self._subscriptions:
            self._subscriptions[ident](item.get("event") or {}, received)
            return
        future = self._pending.pop(ident, None)
        if future is not None and not future.done():
            future.set_result(item)

    async def command(self, payload: Mapping[str, Any]) -> Any:
        """Send one command and return its ``result``; raise `HassApiError` if it failed."""
        if self._ws is None:
            raise HassApiError("websocket not connected")
        ident = self._next_id
        self._next_id += 1
        future: asyncio.Future[JSONObject] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        await self._ws.send_json({**payload, "id": ident})
        try:
            async with asyncio.timeout(self.request_timeout):
                answer = await future
        finally:
            self._pending.pop(ident, None)
        if not answer.get("success", False):
            error = answer.get("error") or {}
            raise HassApiError(
                f"{payload.get('type')} failed: {error.get('code')}: {error.get('message')}",
                body=error,
            )
        return answer.get("result")

    async def subscribe_events(
        self, event_type: str | None, handler: Callable[[JSONObject, float], Any]
    ) -> int:
        """Call ``handler(event, received_monotonic)`` for every event; return the subscription."""
        ident = self._next_id
        payload: JSONObject = {"type": "subscribe_events"}
        if event_type is not None:
            payload["event_type"] = event_type
        self._subscriptions[ident] = handler
        try:
            await self.command(payload)
        except BaseException:
            self._subscriptions.pop(ident, None)
            raise
        return ident

    async def unsubscribe(self, subscription: int) -> None:
        """End a subscription made with `subscribe_events`."""
        self._subscriptions.pop(subscription, None)
        with contextlib.suppress(HassApiError):
            await self.command({"type": "unsubscribe_events", "subscription": subscription})

    @contextlib.asynccontextmanager
    async def watch_states(self) -> AsyncIterator[StateWatcher]:
        """Record every ``state_changed`` event while the block runs."""
        watcher = StateWatcher()

        def on_event(event: JSONObject, received: float) -> None:
            watcher.add(StateChange.from_event(event, received))

        subscription = await self.subscribe_events("state_changed", on_event)
        try:
            yield watcher
        finally:
            if not self.closed:
                await self.unsubscribe(subscription)

    async def call_service(
        self,
        domain: str,
        service: str,
        data: Mapping[str, Any] | None = None,
        *,
        target: Mapping[str, Any] | None = None,
    ) -> Any:
        """Call a service and wait until Home Assistant finished it."""
        payload: JSONObject = {"type": "call_service", "domain": domain, "service": service}
        if data:
            payload["service_data"] = dict(data)
        if target:
            payload["target"] = dict(target)
        return await self.command(payload)

    async def entity_registry(self) -> list[JSONObject]:
        """Every entry of the entity registry."""
        result: list[JSONObject] = await self.command({"type": "config/entity_registry/list"})
        return result

    async def device_registry(self) -> list[JSONObject]:
        """Every entry of the device registry."""
        result: list[JSONObject] = await self.command({"type": "config/device_registry/list"})
        return result


class HomeAssistant(StartStop):
    """One real Home Assistant process with a fresh config dir, onboarded and logged in.

    Use as ``async with HomeAssistant() as hass:`` or call `start` / `stop`. Must run in a private
    network namespace (`tools.netns`); `start` refuses otherwise.
    """

    def __init__(
        self,
        config_dir: Path | None = None,
        *,
        port: int | None = None,
        user: HassUser | None = None,
        base_configuration: Path | None = DEFAULT_CONFIGURATION,
        custom_components: Sequence[Path] = (INTEGRATION_DIR,),
        keep_config_dir: bool = False,
        startup_timeout: float = 60,
        stop_timeout: float = 20,
        env: Mapping[str, str] | None = None,
        request_timeout: float = 30,
    ) -> None:
        """Describe the instance; nothing happens until `start`.

        ``config_dir`` None means a temporary directory, removed by `stop` unless
        ``keep_config_dir``. ``port`` None means a free port on 127.0.0.1.
        """
        self._config_dir = config_dir
        self._owns_config_dir = config_dir is None
        self.port = port
        self.user = user or HassUser()
        self._base_configuration = base_configuration
        self._custom_components = tuple(custom_components)
        self.keep_config_dir = keep_config_dir
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.request_timeout = request_timeout
        self._env = dict(env or {})
        self._process: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._stdout: Any = None

    # ------------------------------------------------------------------ properties
    @property
    def config_dir(self) -> Path:
        """The config directory (exists once `start` began)."""
        if self._config_dir is None:
            raise HarnessError("Home Assistant has no config dir yet (call start)")
        return self._config_dir

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8123`` (no trailing slash)."""
        if self.port is None:
            raise HarnessError("Home Assistant has no port yet (call start)")
        return f"http://{LOOPBACK_HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        """Home Assistant's own log file (``home-assistant.log``)."""
        return self.config_dir / "home-assistant.log"

    @property
    def stdout_path(self) -> Path:
        """Where the process's stdout and stderr go."""
        return self.config_dir / "stdout.log"

    @property
    def token(self) -> str:
        """The access token (after `start`)."""
        if self._token is None:
            raise HarnessError("not logged in yet (call start)")
        return self._token

    @property
    def pid(self) -> int | None:
        """Process id of the running Home Assistant, if any."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.returncode is None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session used for every call (bearer token set)."""
        if self._session is None:
            raise HarnessError("Home Assistant is not started")
        return self._session

    def log_text(self) -> str:
        """Home Assistant's log so far ('' if none)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except (OSError, HarnessError):
            return ""

    def _output_tail(self, lines: int = 40) -> str:
        try:
            text = self.stdout_path.read_text(encoding="utf-8", errors="replace")
        except (OSError, HarnessError):
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # ------------------------------------------------------------------ life cycle

    async def prepare(self) -> None:
        """Create and fill the config dir (done by `start`; separate for callers that want it)."""
        if self._config_dir is None:
            self._config_dir = Path(tempfile.mkdtemp(prefix="loqed-hass-"))
        if self.port is None:
            self.port = free_port()
        write_config_dir(
            self.config_dir,
            port=self.port,
            base_configuration=self._base_configuration,
            custom_components=self._custom_components,
        )
        if not user_exists(self.config_dir, self.user.username):
            await add_user(self.config_dir, self.user.username, self.user.password)

    async def start(self) -> None:
        """Prepare the config dir, start the process, wait for HTTP, log in, wait for RUNNING."""
        try:
            require_private_netns()
        except RuntimeError as err:
            raise HassStartError(str(err)) from err
        deadline = time.monotonic() + self.startup_timeout
        await self.prepare()
        self._stdout = self.stdout_path.open("ab")
        self._process = await asyncio.create_subprocess_exec(
            *hass_command(),
            "-c",
            str(self.config_dir),
            "--skip-pip",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._stdout,
            stderr=asyncio.subprocess.STDOUT,
            env=child_env(self._env),
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        _LOGGER.debug("Home Assistant pid %s on %s", self._process.pid, self.url)
        self._session = aiohttp.ClientSession()
        await self._wait_http(deadline)
        self._token = await self._login()
        self._session.headers["Authorization"] = f"Bearer {self._token}"
        await self._wait_running(deadline)

    async def _wait_http(self, deadline: float) -> None:
        while True:
            self._raise_if_exited()
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with (
                    asyncio.timeout(2),
                    self.session.get(f"{self.url}/manifest.json") as resp,
                ):
                    if resp.status == 200:  # noqa: PLR2004 - HTTP OK
                        return
            if time.monotonic() > deadline:
                raise HassStartError(
                    f"Home Assistant did not answer on {self.url} within {self.startup_timeout} s; "
                    f"see {self.stdout_path}:\n{self._output_tail()}"
                )
            await asyncio.sleep(_POLL_INTERVAL)

    def _raise_if_exited(self) -> None:
        if self._process is not None and self._process.returncode is not None:
            raise HassStartError(
                f"Home Assistant exited with {self._process.returncode} during startup; "
                f"see {self.stdout_path}:\n{self._output_tail()}"
            )

    async def _wait_running(self, deadline: float) -> None:
        state = None
        while time.monotonic() < deadline:
            self._raise_if_exited()
            config = await self.get("/api/config")
            state = config.get("state")
            if state == "RUNNING":
                return
            await asyncio.sleep(_POLL_INTERVAL)
        raise HassStartError(f"Home Assistant stayed in state {state!r}; see {self.log_path}")

    async def _login(self) -> str:
        """Login flow -> authorization code -> access token (no browser)."""
        client_id = f"{self.url}/"
        flow = await self._post_json(
            "/auth/login_flow",
            {"client_id": client_id, "handler": ["homeassistant", None], "redirect_uri": client_id},
        )
        result = await self._post_json(
            f"/auth/login_flow/{flow['flow_id']}",
            {
                "username": self.user.username,
                "password": self.user.password,
                "client_id": client_id,
            },
        )
        if result.get("type") != "create_entry":
            raise HassStartError(f"login failed: {result.get('errors') or result.get('type')}")
        return await self._exchange_code(str(result["result"]), client_id)

    async def _exchange_code(self, code: str, client_id: str) -> str:
        form = {"grant_type": "authorization_code", "code": code, "client_id": client_id}
        async with self.session.post(f"{self.url}/auth/token", data=form) as resp:
            body = await resp.json(content_type=None)
            if resp.status != 200:  # noqa: PLR2004 - HTTP OK
                raise HassStartError(f"token exchange failed with HTTP {resp.status}")
        return str(body["access_token"])

    async def authorize_url(self, page: str = "/") -> str:
        """Return a URL that opens ``page`` logged in (for a headless browser screenshot)."""
        client_id = f"{self.url}/"
        redirect = f"{self.url}{page}?auth_callback=1"
        flow = await self._post_json(
            "/auth/login_flow",
            {"client_id": client_id, "handler": ["homeassistant", None], "redirect_uri": redirect},
        )
        result = await self._post_json(
            f"/auth/login_flow/{flow['flow_id']}",
            {
                "username": self.user.username,
                "password": self.user.password,
                "client_id": client_id,
            },
        )
        state = json.dumps({"hassUrl": self.url, "clientId": client_id}).encode()
        encoded = quote(base64.b64encode(state).decode())
        return f"{redirect}&code={result['result']}&state={encoded}"

    async def restart(self) -> None:
        """Stop the process and start it again on the same config dir, port and user.

        What Home Assistant stored (config entries, entity registry, ...) is kept: this is how
        a test checks that something survives a restart.
        """
        await self._stop_process()
        await self.start()

    async def stop(self) -> int | None:
        """Stop Home Assistant (SIGTERM, bounded wait, then SIGKILL); clean up. Idempotent."""
        code = await self._stop_process()
        if self._owns_config_dir and not self.keep_config_dir and self._config_dir is not None:
            shutil.rmtree(self._config_dir, ignore_errors=True)
            self._config_dir = None
        return code

    async def _stop_process(self) -> int | None:
        code: int | None = None
        process, self._process = self._process, None
        if process is not None:
            code = await terminate(process, self.stop_timeout, name="Home Assistant")
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._stdout is not None:
            self._stdout.close()
            self._stdout = None
        self._token = None
        return code

    # ------------------------------------------------------------------ REST
    async def _post_json(self, path: str, payload: Mapping[str, Any]) -> JSONObject:
        return await self.request("POST", path, payload)  # type: ignore[no-any-return]

    async def request(self, method: str, path: str, payload: Any = None) -> Any:
        """Make one REST call; JSON in, JSON out. Raises `HassApiError` for HTTP >= 400."""
        async with (
            asyncio.timeout(self.request_timeout),
            self.session.request(method, f"{self.url}{path}", json=payload) as resp,
        ):
            text = await resp.text()
            body: Any = json.loads(text) if text and "json" in resp.content_type else text
            if resp.status >= 400:  # noqa: PLR2004 - HTTP error range
                raise HassApiError(
                    f"{method} {path} answered HTTP {resp.status}: {body}",
                    status=resp.status,
                    body=body,
                )
            return body

    async def get(self, path: str) -> Any:
        """GET ``path`` (e.g. ``/api/states``)."""
        return await self.request("GET", path)

    async def post(self, path: str, payload: Any = None) -> Any:
        """POST JSON to ``path``."""
        return await self.request("POST", path, payload)

    async def delete(self, path: str) -> Any:
        """DELETE ``path``."""
        return await self.request("DELETE", path)

    async def states(self) -> list[JSONObject]:
        """Every entity state."""
        result: list[JSONObject] = await self.get("/api/states")
        return result

    async def state(self, entity_id: str) -> JSONObject | None:
        """One entity's state object, or None if it does not exist."""
        try:
            result: JSONObject = await self.get(f"/api/states/{entity_id}")
        except HassApiError as err:
            if err.status == 404:  # noqa: PLR2004 - not found
                return None
            raise
        return result

    async def call_service(
        self, domain: str, service: str, data: Mapping[str, Any] | None = None
    ) -> list[JSONObject]:
        """Call a service over REST; returns the states that changed while it ran."""
        result: list[JSONObject] = await self.request(
            "POST", f"/api/services/{domain}/{service}", dict(data or {})
        )
        return result

    async def config_entries(self, domain: str | None = None) -> list[JSONObject]:
        """Config entries, optionally of one domain."""
        query = f"?domain={domain}" if domain else ""
        result: list[JSONObject] = await self.get(f"/api/config/config_entries/entry{query}")
        return result

    async def start_flow(self, handler: str, **context: Any) -> JSONObject:
        """Start a config flow (``POST /api/config/config_entries/flow``)."""
        result: JSONObject = await self.post(
            "/api/config/config_entries/flow", {"handler": handler, **context}
        )
        return result

    async def continue_flow(self, flow_id: str, user_input: Mapping[str, Any]) -> JSONObject:
        """Answer the current step of a config flow."""
        result: JSONObject = await self.post(
            f"/api/config/config_entries/flow/{flow_id}", dict(user_input)
        )
        return result

    async def config_flow(
        self, handler: str, steps: Sequence[Mapping[str, Any]], *, expect: str = "create_entry"
    ) -> JSONObject:
        """Run a config flow through the REST API, one answer per step.

        Returns the final result; raises `HassApiError` when it does not end in ``expect`` (the
        flow is then aborted so it does not linger in the UI).
        """
        result = await self.start_flow(handler)
        for answer in steps:
            if result.get("type") not in {"form", "menu"}:
                break
            result = await self.continue_flow(str(result["flow_id"]), answer)
        if result.get("type") != expect:
            if result.get("type") in {"form", "menu"}:
                with contextlib.suppress(HassApiError):
                    await self.delete(f"/api/config/config_entries/flow/{result['flow_id']}")
            raise HassApiError(
                f"config flow {handler!r} ended in {result.get('type')!r} "
                f"(step {result.get('step_id')!r}, errors {result.get('errors')}, "
                f"reason {result.get('reason')!r}), expected {expect!r}",
                body=result,
            )
        return result

    # ------------------------------------------------------------------ websocket
    def websocket(self) -> HassWebSocket:
        """Return a websocket client (use as ``async with hass.websocket() as ws``)."""
        return HassWebSocket(
            self.session,
            f"{self.url}/api/websocket",
            self.token,
            request_timeout=self.request_timeout,
        )

    async def entity_registry(self) -> list[JSONObject]:
        """Every entity registry entry (one websocket round trip)."""
        async with self.websocket() as ws:
            return await ws.entity_registry()

    async def entity_ids(self, platform: str, domain: str | None = None) -> list[str]:
        """Return the entity ids of ``platform`` (an integration), optionally of one ``domain``."""
        entries = await self.entity_registry()
        return sorted(
            entry["entity_id"]
            for entry in entries
            if entry.get("platform") == platform
            and (domain is None or str(entry["entity_id"]).startswith(f"{domain}."))
        )

    async def wait_for_entity(
        self,
        platform: str,
        domain: str,
        *,
        timeout: float = 15,  # noqa: ASYNC109 - the bound is part of the error message
    ) -> str:
        """Return the first entity of ``platform`` in ``domain`` once it exists with a state."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    ids = await self.entity_ids(platform, domain)
                    if ids and await self.state(ids[0]) is not None:
                        return ids[0]
                    await asyncio.sleep(_POLL_INTERVAL)
        except TimeoutError:
            raise HarnessError(
                f"no {domain} entity of {platform} appeared within {timeout} s; see {self.log_path}"
            ) from None


async def terminate(
    process: asyncio.subprocess.Process,
    timeout: float,  # noqa: ASYNC109 - a bound on the grace period, then SIGKILL
    *,
    name: str,
) -> int | None:
    """SIGTERM ``process``, wait up to ``timeout`` s, then SIGKILL its process group."""
    group: int | None = None
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            group = os.getpgid(process.pid)
            process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(timeout):
                await process.wait()
        except TimeoutError:
            _LOGGER.warning(
                "%s (pid %s) ignored SIGTERM for %s s; killing", name, process.pid, timeout
            )
    if group == process.pid:  # started in its own session: the group is it and its children
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
    return process.returncode
