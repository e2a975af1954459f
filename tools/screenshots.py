"""``scripts/screenshots``: pictures of the real Home Assistant UI for the README and docs/.

Starts the bridge emulator and a real Home Assistant with the integration set up (the demo's stack,
`tools.scenario.LoqedStack`, plus recorder, history, logbook and repairs), names two keys in the
options, operates the lock from several sources so that the logbook and the event entity have
something to show, and drives a headless Chromium over the DevTools protocol: it logs in with an
authorization code (no typing), opens each page, clicks where a page needs a click (the
config-flow menu, "Configure", a repair), waits until no spinner is left and the expected text is
there, and writes a PNG to ``docs/screenshots/``. A repair is raised for real through the emulator.

Chromium is driven over DevTools rather than with ``--screenshot --virtual-time-budget`` because
three pictures need a click first, and because waiting for the page's own state is more reliable
than a time budget. Requests for integration icons (brands.home-assistant.io, unreachable here)
are answered with this integration's own ``brand/`` images, which is what Home Assistant shows
from 2026.3 on, when it serves them from the integration folder.

Everything, Chromium included, runs in a private network namespace (`tools.netns`). Chromium (and
a font with a separator glyph the UI uses) is installed with apt-get first if it is missing and we
are root: the only step that needs the network, so it runs before the namespace is entered.

    scripts/screenshots                      # every picture
    scripts/screenshots --only device --only lock-more-info
    scripts/screenshots --list
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
from dataclasses import dataclass
import json
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, urlencode, urlsplit

import aiohttp
import yaml  # type: ignore[import-untyped,unused-ignore]  # types-PyYAML is optional

from tools.hass_harness import (
    DEFAULT_CONFIGURATION,
    REPO_ROOT,
    HassUser,
    HomeAssistant,
    JSONObject,
    die_with_parent,
    load_base_configuration,
    terminate,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence

    from tools.hass_harness import HassWebSocket, StateWatcher
    from tools.scenario import LoqedStack

DOMAIN: Final = "loqed_bridge"
DEFAULT_OUT: Final = REPO_ROOT / "docs" / "screenshots"
BRAND_DIR: Final = REPO_ROOT / "custom_components" / DOMAIN / "brand"
BRANDS_HOST: Final = "brands.home-assistant.io"
_BRAND_NAME = re.compile(r"(dark_)?(icon|logo)(@2x)?\.png")
CHROMIUM_NAMES: Final = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WINDOW: Final = (1280, 800)
EMULATOR_SEED: Final = "7"  # the same MAC (and so the same names) on every run
KEYPAD_KEY_ID: Final = 12
PHONE_KEY_ID: Final = 3
KEY_NAMES: Final = f"{PHONE_KEY_ID}=Anna's phone\n{KEYPAD_KEY_ID}=Bob (keypad)"
"""What the pictures show in the key-names option (when the integration has it)."""
STEP_GAP: Final = 1.2  # seconds between operations (webhook timestamps have 1 s resolution)
SERVICE_CONTEXT_GAP: Final = 5.5  # seconds after a service call (Home Assistant's context window)
BUSY_SELECTORS: Final = (
    "ha-spinner",
    "ha-circular-progress",
    "mwc-circular-progress",
    "ha-init-page",
    "hass-loading-screen",
)
LOGIN_MARKERS: Final = ("Welcome home!", "Log in", "Keep me logged in")
CLICKABLE: Final = (
    "ha-md-list-item",
    "ha-list-item",
    "mwc-list-item",
    "ha-button",
    "mwc-button",
    "ha-progress-button",
    "ha-icon-next",
    "button",
    "a",
)
SCREENSHOT_EXTRA_CONFIG: Final[JSONObject] = {
    # What the pictures show beyond the demo: the logbook and history need the recorder, and
    # the repairs panel its integration. commit_interval 1: entries show up at once.
    "recorder": {"commit_interval": 1, "purge_keep_days": 1},
    "history": None,
    "logbook": None,
    "repairs": None,
    "diagnostics": None,
}


class ScreenshotError(RuntimeError):
    """A picture could not be taken; the message says which and why."""


# ---------------------------------------------------------------------- pure helpers


def screenshot_configuration(base: Mapping[str, Any]) -> JSONObject:
    """Return the demo's configuration.yaml content plus what the pictures need."""
    config: JSONObject = json.loads(json.dumps(dict(base)))
    for key, value in SCREENSHOT_EXTRA_CONFIG.items():
        config.setdefault(key, value)
    return config


def flow_start_path(domain: str = DOMAIN) -> str:
    """Page that starts a config flow of ``domain`` (what a My Home Assistant link opens)."""
    return f"/config/integrations/dashboard/add?{urlencode({'domain': domain})}"


def integration_path(domain: str = DOMAIN) -> str:
    """Page of one integration with its entries."""
    return f"/config/integrations/integration/{quote(domain, safe='')}"


def device_path(device_id: str) -> str:
    """Page of one device."""
    return f"/config/devices/device/{quote(device_id, safe='')}"


def logbook_path(entity_ids: Sequence[str]) -> str:
    """Logbook page filtered to ``entity_ids``."""
    return f"/logbook?{urlencode({'entity_id': ','.join(entity_ids)})}"


def auth_state(hass_url: str) -> str:
    """Return the ``state`` parameter the frontend expects after ``auth_callback`` (URL-encoded)."""
    state = json.dumps({"hassUrl": hass_url, "clientId": f"{hass_url}/"}).encode()
    return quote(base64.b64encode(state).decode(), safe="")


def authorized_url(hass_url: str, page: str, code: str) -> str:
    """URL that opens ``page`` logged in: the frontend trades ``code`` for tokens itself."""
    separator = "&" if "?" in page else "?"
    return (
        f"{hass_url}{page}{separator}auth_callback=1&code={quote(code, safe='')}"
        f"&state={auth_state(hass_url)}"
    )


def redirect_uri(hass_url: str, page: str) -> str:
    """Return the ``redirect_uri`` the login flow needs for `authorized_url` of ``page``."""
    separator = "&" if "?" in page else "?"
    return f"{hass_url}{page}{separator}auth_callback=1"


def integration_entities(registry: Sequence[Mapping[str, Any]], domain: str = DOMAIN) -> list[str]:
    """Entity ids of ``domain``'s entities, lock first, then by platform and id."""
    ids = [
        str(entry["entity_id"])
        for entry in registry
        if entry.get("platform") == domain and not entry.get("disabled_by")
    ]
    return sorted(ids, key=lambda e: (not e.startswith("lock."), e.split(".", 1)[0], e))


def last_operation_card(event: str) -> JSONObject:
    """Return a card with the last lock operation: what, how (source) and who (key)."""
    return {
        "type": "entities",
        "title": "Last lock operation",
        "entities": [
            {"entity": event, "name": "Operation"},
            {"type": "attribute", "entity": event, "attribute": "source", "name": "How"},
            {"type": "attribute", "entity": event, "attribute": "key_name", "name": "Who"},
            {"type": "attribute", "entity": event, "attribute": "key_id", "name": "Key ID"},
        ],
    }


def dashboard_config(entity_ids: Sequence[str]) -> JSONObject:
    """Return a dashboard: the lock tile, the last operation, the other entities, the logbook."""
    lock = next((e for e in entity_ids if e.startswith("lock.")), None)
    event = next((e for e in entity_ids if e.startswith("event.")), None)
    others = [e for e in entity_ids if e not in {lock, event}]
    cards: list[JSONObject] = []
    if lock is not None:
        cards.append(
            {
                "type": "tile",
                "entity": lock,
                "features": [{"type": "lock-commands"}, {"type": "lock-open-door"}],
            }
        )
    if event is not None:
        cards.append(last_operation_card(event))
    if others:
        cards.append({"type": "entities", "entities": others})
    logged = [e for e in entity_ids if e.split(".", 1)[0] in {"lock", "event"}]
    if logged:
        cards.append({"type": "logbook", "entities": logged, "hours_to_show": 2})
    return {"title": "Home", "views": [{"title": "Front door", "path": "door", "cards": cards}]}


def form_answer(schema: Sequence[Mapping[str, Any]], values: Mapping[str, Any]) -> JSONObject:
    """Answer a form: ``values`` where given, else the suggested value or the default.

    Sections (``expandable``) are answered field by field the same way.
    """
    answer: JSONObject = {}
    for field in schema:
        name = str(field.get("name"))
        if field.get("type") == "expandable":
            answer[name] = form_answer(field.get("schema") or [], values)
        elif name in values:
            answer[name] = values[name]
        elif "suggested_value" in (field.get("description") or {}):
            answer[name] = field["description"]["suggested_value"]
        elif "default" in field:
            answer[name] = field["default"]
    return answer


def find_chromium(which: Callable[[str], str | None] = shutil.which) -> str | None:
    """Path of an installed Chromium (or Chrome), or None."""
    for name in CHROMIUM_NAMES:
        if found := which(name):
            return found
    return None


def chromium_command(
    binary: str, user_data_dir: Path, window: tuple[int, int] = WINDOW
) -> list[str]:
    """Chromium, headless, with no network habits of its own, DevTools on a free loopback port."""
    width, height = window
    return [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--lang=en-US",
        f"--user-data-dir={user_data_dir}",
        f"--window-size={width},{height}",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "about:blank",
    ]


def devtools_port(active_port_file: str) -> int:
    """Port from Chromium's ``DevToolsActivePort`` file (first line), or ValueError."""
    first = active_port_file.strip().splitlines()[0] if active_port_file.strip() else ""
    port = int(first)
    if not 0 < port < 65536:  # noqa: PLR2004 - TCP port range
        raise ValueError(f"not a TCP port: {port}")
    return port


def brand_file(url: str, brand_dir: Path = BRAND_DIR, domain: str = DOMAIN) -> Path | None:
    """Our brand image for a request to Home Assistant's brand server, or None.

    Home Assistant 2025.4 fetches integration icons from brands.home-assistant.io, which the
    private namespace cannot reach; from 2026.3 on it serves them from the integration's ``brand/``
    folder. The pictures show what the newer versions show: our own icon.
    """
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    if parts.hostname != BRANDS_HOST or len(segments) < 2 or domain not in segments[:-1]:  # noqa: PLR2004
        return None
    name = segments[-1]
    if not _BRAND_NAME.fullmatch(name):
        return None
    for candidate in (name, name.removeprefix("dark_")):
        if (brand_dir / candidate).is_file():
            return brand_dir / candidate
    return None


def is_png(data: bytes) -> bool:
    """Whether ``data`` starts with the PNG signature."""
    return data.startswith(b"\x89PNG\r\n\x1a\n")


def looks_logged_out(text: str) -> bool:
    """Whether the page text is Home Assistant's login page."""
    return any(marker in text for marker in LOGIN_MARKERS)


def select_shots(available: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """Return the shots to take, in the order of ``available``; ValueError names unknown ones."""
    if not wanted:
        return list(available)
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise ValueError(
            f"unknown screenshot(s): {', '.join(unknown)} (known: {', '.join(available)})"
        )
    return [name for name in available if name in wanted]


# JavaScript run in the page. Home Assistant's frontend is made of nested shadow roots, so every
# query walks them.
_JS_WALK = """
const __walk = (root, visit) => {
  for (const el of root.querySelectorAll('*')) {
    visit(el);
    if (el.shadowRoot) __walk(el.shadowRoot, visit);
  }
};
const __visible = (el) => {
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
};
"""


def js_page_state(busy_selectors: Sequence[str] = BUSY_SELECTORS) -> str:
    """Return JavaScript giving ``{busy, text, path}``: spinners, visible text, URL path."""
    selector = json.dumps(",".join(busy_selectors))
    return (
        "(() => {" + _JS_WALK + f"let busy = 0; const parts = []; const sel = {selector};"
        "__walk(document, (el) => {"
        "  if (el.matches(sel) && __visible(el)) busy += 1;"
        "  for (const n of el.childNodes) {"
        "    if (n.nodeType === 3 && n.data.trim()) parts.push(n.data.trim());"
        "  }"
        "  if (el.shadowRoot) for (const n of el.shadowRoot.childNodes) {"
        "    if (n.nodeType === 3 && n.data.trim()) parts.push(n.data.trim());"
        "  }"
        "});"
        "return {busy, text: parts.join(' '), path: location.pathname};"
        "})()"
    )


def js_click_text(text: str, selectors: Sequence[str] = CLICKABLE, *, exact: bool = False) -> str:
    """Expression: click the innermost visible clickable element whose text contains ``text``.

    ``exact``: the element's whole (trimmed) text must be ``text``. Returns the clicked element's
    tag name, or null.
    """
    match = "deepText(el).trim() === want" if exact else "deepText(el).includes(want)"
    return (
        "(() => {"
        + _JS_WALK
        + f"const want = {json.dumps(text)}; const sel = {json.dumps(','.join(selectors))};"
        "const deepText = (el) => {"
        "  let t = el.textContent || '';"
        "  if (el.shadowRoot) t += ' ' + el.shadowRoot.textContent;"
        "  return t;"
        "};"
        "let found = null;"
        "__walk(document, (el) => {"
        f"  if (el.matches(sel) && __visible(el) && {match}) found = el;"
        "});"
        "if (!found) return null;"
        "found.scrollIntoView({block: 'center'});"
        "found.click();"
        "return found.tagName.toLowerCase();"
        "})()"
    )


def js_expand(header: str) -> str:
    """Return JavaScript that expands the panel titled ``header`` and scrolls to it (or null)."""
    return (
        "(() => {" + _JS_WALK + f"const want = {json.dumps(header)}; let found = null;"
        "__walk(document, (el) => {"
        "  if (el.tagName !== 'HA-EXPANSION-PANEL' || !__visible(el)) return;"
        "  const slot = el.querySelector(':scope > [slot=header]');"
        "  const title = (el.header || (slot && slot.textContent) || '').trim();"
        "  if (title.includes(want)) found = el;"
        "});"
        "if (!found) return null;"
        "found.expanded = true;"
        "setTimeout(() => found.scrollIntoView({block: 'end'}), 300);"
        "return true;"
        "})()"
    )


def js_more_info(entity_id: str) -> str:
    """Expression: open the more-info dialog of ``entity_id`` (the frontend's own event)."""
    detail = json.dumps({"entityId": entity_id})
    return (
        "(() => { const ha = document.querySelector('home-assistant');"
        " if (!ha) return false;"
        f" ha.dispatchEvent(new CustomEvent('hass-more-info', {{detail: {detail},"
        " bubbles: true, composed: true}));"
        " return true; })()"
    )


# ---------------------------------------------------------------------- Chromium over DevTools


class DevTools:
    """A minimal DevTools-protocol client for one page target."""

    def __init__(self, session: aiohttp.ClientSession, ws_url: str, timeout: float = 30) -> None:
        """Prepare; `connect` opens the websocket."""
        self._session = session
        self._ws_url = ws_url
        self._timeout = timeout
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._next_id = 1
        self._pending: dict[int, asyncio.Future[JSONObject]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._handlers: dict[str, Callable[[JSONObject], Coroutine[Any, Any, None]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def on(self, method: str, handler: Callable[[JSONObject], Coroutine[Any, Any, None]]) -> None:
        """Run ``handler(params)`` for every event ``method`` (e.g. ``Fetch.requestPaused``)."""
        self._handlers[method] = handler

    async def connect(self) -> None:
        """Open the websocket and start reading answers."""
        self._ws = await self._session.ws_connect(self._ws_url, max_msg_size=0)
        self._reader = asyncio.create_task(self._read(), name="devtools-reader")

    async def close(self) -> None:
        """Close the websocket."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read(self) -> None:
        assert self._ws is not None  # noqa: S101 - connect sets it before starting the task
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            item = json.loads(message.data)
            if "id" not in item:
                handler = self._handlers.get(str(item.get("method")))
                if handler is not None:
                    task = asyncio.create_task(handler(item.get("params") or {}))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                continue
            future = self._pending.pop(item["id"], None)
            if future is not None and not future.done():
                future.set_result(item)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ScreenshotError("Chromium closed the DevTools connection"))

    async def send(self, method: str, params: Mapping[str, Any] | None = None) -> JSONObject:
        """Call ``method``; return its result or raise `ScreenshotError` with its error."""
        if self._ws is None:
            raise ScreenshotError("DevTools is not connected")
        ident = self._next_id
        self._next_id += 1
        future: asyncio.Future[JSONObject] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        await self._ws.send_json({"id": ident, "method": method, "params": dict(params or {})})
        try:
            async with asyncio.timeout(self._timeout):
                answer = await future
        finally:
            self._pending.pop(ident, None)
        if "error" in answer:
            raise ScreenshotError(f"{method}: {answer['error'].get('message')}")
        result: JSONObject = answer.get("result") or {}
        return result

    async def evaluate(self, expression: str) -> Any:
        """Evaluate JavaScript in the page and return its (JSON) value."""
        result = await self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise ScreenshotError(f"JavaScript failed: {details.get('text')}")
        return (result.get("result") or {}).get("value")

    async def navigate(self, url: str) -> None:
        """Load ``url`` in the page."""
        await self.send("Page.navigate", {"url": url})

    async def screenshot(self) -> bytes:
        """PNG of the viewport."""
        result = await self.send("Page.captureScreenshot", {"format": "png"})
        return base64.b64decode(result["data"])


class Chromium:
    """A headless Chromium process with one page, driven over DevTools."""

    def __init__(self, binary: str, workdir: Path, window: tuple[int, int] = WINDOW) -> None:
        """Describe the browser; `start` runs it."""
        self.binary = binary
        self.window = window
        self.user_data_dir = workdir / "chromium-profile"
        self.log_path = workdir / "chromium.log"
        self._process: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None
        self._log: Any = None
        self.page: DevTools | None = None
        self.brand_requests: list[tuple[str, bool]] = []
        """Requests to the brand server: URL, and whether our image answered it."""

    async def start(self, timeout: float = 30) -> DevTools:  # noqa: ASYNC109 - startup bound
        """Start Chromium with a fresh profile and connect to its page."""
        shutil.rmtree(self.user_data_dir, ignore_errors=True)
        self.user_data_dir.mkdir(parents=True)
        self._log = self.log_path.open("ab")
        self._process = await asyncio.create_subprocess_exec(
            *chromium_command(self.binary, self.user_data_dir, self.window),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self._session = aiohttp.ClientSession()
        port_file = self.user_data_dir / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while True:
            if self._process.returncode is not None:
                raise ScreenshotError(
                    f"Chromium exited with {self._process.returncode}; see {self.log_path}"
                )
            with contextlib.suppress(OSError, ValueError, IndexError):
                port = devtools_port(port_file.read_text(encoding="ascii"))
                break
            if time.monotonic() > deadline:
                raise ScreenshotError(f"Chromium did not open DevTools within {timeout} s")
            await asyncio.sleep(0.1)
        async with self._session.get(f"http://127.0.0.1:{port}/json/list") as resp:
            targets = await resp.json(content_type=None)
        page = next((t for t in targets if t.get("type") == "page"), None)
        if page is None:
            raise ScreenshotError("Chromium has no page to drive")
        self.page = DevTools(self._session, str(page["webSocketDebuggerUrl"]))
        await self.page.connect()
        width, height = self.window
        await self.page.send("Page.enable")
        # Home Assistant's service worker fetches brand images itself, out of Fetch's reach.
        await self.page.send("Network.enable")
        await self.page.send("Network.setBypassServiceWorker", {"bypass": True})
        self.page.on("Fetch.requestPaused", self._serve_brand)
        await self.page.send(
            "Fetch.enable", {"patterns": [{"urlPattern": f"https://{BRANDS_HOST}/*"}]}
        )
        await self.page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        return self.page

    async def _serve_brand(self, params: JSONObject) -> None:
        """Answer a request to the brand server with our icon, or fail it (there is no network)."""
        if self.page is None:
            return
        request_id = params.get("requestId")
        url = str((params.get("request") or {}).get("url", ""))
        path = brand_file(url)
        self.brand_requests.append((url, path is not None))
        with contextlib.suppress(ScreenshotError, aiohttp.ClientError, TimeoutError):
            if path is None:
                await self.page.send(
                    "Fetch.failRequest",
                    {"requestId": request_id, "errorReason": "InternetDisconnected"},
                )
                return
            await self.page.send(
                "Fetch.fulfillRequest",
                {
                    "requestId": request_id,
                    "responseCode": 200,
                    "responseHeaders": [
                        {"name": "Content-Type", "value": "image/png"},
                        {"name": "Access-Control-Allow-Origin", "value": "*"},
                        {"name": "Cache-Control", "value": "no-store"},
                    ],
                    "body": base64.b64encode(path.read_bytes()).decode(),
                },
            )

    async def stop(self) -> None:
        """Close the page connection and stop Chromium (bounded)."""
        if self.page is not None:
            with contextlib.suppress(ScreenshotError, aiohttp.ClientError, TimeoutError):
                await self.page.close()
            self.page = None
        if self._process is not None:
            await terminate(self._process, 5, name="Chromium")
            self._process = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._log is not None:
            self._log.close()
            self._log = None


def has_separator_font() -> bool:
    """Whether a font with the "⸱" separator the UI uses is installed (else a box is drawn)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    result = subprocess.run(  # noqa: S603 - fixed argument list
        [fc_list, ":charset=2e31"], capture_output=True, text=True, check=False
    )
    return bool(result.stdout.strip())


def missing_packages() -> list[str]:
    """Return the Debian packages this machine still lacks: Chromium, a font with "⸱"."""
    missing = []
    if find_chromium() is None:
        missing.append("chromium")
    if not has_separator_font():
        missing.append("fonts-symbola")
    return missing


def ensure_chromium(*, install: bool = True) -> str:
    """Return the Chromium binary; install Chromium (and a font) if missing and we are root.

    Runs before the private network namespace is entered (apt-get needs the network).
    """
    missing = missing_packages()
    can_install = install and os.geteuid() == 0 and shutil.which("apt-get") is not None
    if missing and can_install:
        say(f"screenshots: installing {' '.join(missing)} (apt-get)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", *missing],
        ):
            subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    elif "fonts-symbola" in missing:
        say("screenshots: no font has the separator '⸱'; install fonts-symbola for clean pictures")
    if found := find_chromium():
        return found
    raise ScreenshotError(
        "Chromium is not installed; install it (Debian/Ubuntu: `apt-get install -y chromium`) "
        "or run scripts/screenshots as root to have it installed"
    )


# ---------------------------------------------------------------------- the session


def say(line: str) -> None:
    """Print progress at once."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass(slots=True)
class Scene:
    """What the shots need to know about the running stack."""

    lock: str
    entities: list[str]
    device_id: str
    entry_id: str
    other_device_ids: list[str]


class ShotSession:
    """Home Assistant + emulator + Chromium, and one method per picture."""

    def __init__(self, stack: LoqedStack, browser: Chromium, out: Path) -> None:
        """Bind the running stack and browser; pictures go to ``out``."""
        self.stack = stack
        self.browser = browser
        self.out = out
        self.scene = Scene("", [], "", "", [])
        self.written: list[Path] = []

    @property
    def hass(self) -> HomeAssistant:
        """The running Home Assistant."""
        return self.stack.hass

    @property
    def page(self) -> DevTools:
        """The browser page."""
        if self.browser.page is None:
            raise ScreenshotError("the browser is not started")
        return self.browser.page

    # -------------------------------------------------------------- preparation
    async def prepare(self) -> None:
        """Find the entities and the device, fill the logbook, save the dashboard."""
        registry = await self.hass.entity_registry()
        self.scene.entities = integration_entities(registry)
        say(f"screenshots: entities shown: {', '.join(self.scene.entities)}")
        self.scene.lock = self.stack.lock_entity
        self.scene.entry_id = str(self.stack.entry.get("entry_id", ""))
        lock_entry = next(e for e in registry if e.get("entity_id") == self.scene.lock)
        self.scene.device_id = str(lock_entry.get("device_id"))
        async with self.hass.websocket() as ws:
            devices = await ws.device_registry()
            self.scene.other_device_ids = [
                str(d["id"])
                for d in devices
                if self.scene.entry_id in d.get("config_entries", [])
                and d["id"] != self.scene.device_id
            ]
            await ws.command(
                {"type": "lovelace/config/save", "config": dashboard_config(self.scene.entities)}
            )
            await self.name_keys()
            await self.operate_lock(ws)

    async def name_keys(self) -> None:
        """Name two keys through the options flow, as a user would (if the option exists)."""
        entry_id = self.scene.entry_id
        try:
            form = await self.hass.post(
                "/api/config/config_entries/options/flow", {"handler": entry_id}
            )
            fields = {str(f.get("name")) for f in form.get("data_schema") or []}
            if "key_names" not in fields:
                await self.hass.delete(f"/api/config/config_entries/options/flow/{form['flow_id']}")
                return
            answer = form_answer(form.get("data_schema") or [], {"key_names": KEY_NAMES})
            result = await self.hass.post(
                f"/api/config/config_entries/options/flow/{form['flow_id']}", answer
            )
        except RuntimeError as err:
            say(f"screenshots: could not name the keys ({err}); the pictures go on")
            return
        if result.get("type") != "create_entry":
            say(f"screenshots: the options form refused the key names: {result.get('errors')}")

    async def operate_lock(self, ws: HassWebSocket) -> None:
        """Operate the lock from several sources: the logbook and the event entity get a story."""
        stack, lock = self.stack, self.scene.lock
        emulator = stack.emulator
        steps: list[tuple[str, Callable[[], Awaitable[Any]], tuple[str, ...]]] = [
            (
                "unlock from Home Assistant",
                lambda: ws.call_service("lock", "unlock", target={"entity_id": lock}),
                ("unlocked",),
            ),
            (
                "keypad PIN at the door",
                lambda: emulator.operate("keypad_pin", key_id=KEYPAD_KEY_ID),
                ("open", "unlocked"),
            ),
            (
                "knob turned to night lock",
                lambda: emulator.operate("knob", state="night_lock"),
                ("locked",),
            ),
            (
                "Touch to Open",
                lambda: emulator.operate("touch_to_open", key_id=PHONE_KEY_ID),
                ("open", "unlocked"),
            ),
            (
                "lock from Home Assistant",
                lambda: ws.call_service("lock", "lock", target={"entity_id": lock}),
                ("locked",),
            ),
            (
                "unlock from Home Assistant",
                lambda: ws.call_service("lock", "unlock", target={"entity_id": lock}),
                ("unlocked",),
            ),
            (
                "the LOQED app over Bluetooth locks",
                lambda: emulator.operate("app_ble", state="night_lock", key_id=PHONE_KEY_ID),
                ("locked",),
            ),
        ]
        async with ws.watch_states() as watcher:
            for name, act, expected in steps:
                await self._step(watcher, name, act, expected)
                # Home Assistant credits every state change of an entity within 5 s of a service
                # call to that call (the logbook would say a knob turn was "triggered by action
                # Lock: Unlock"); people at the door are slower than that anyway.
                from_home_assistant = name.endswith("from Home Assistant")
                await asyncio.sleep(SERVICE_CONTEXT_GAP if from_home_assistant else STEP_GAP)

    async def _step(
        self,
        watcher: StateWatcher,
        name: str,
        act: Callable[[], Awaitable[Any]],
        expected: tuple[str, ...],
    ) -> None:
        lock = self.scene.lock
        budget = 2 * (self.stack.motor_time + self.stack.relatch_time) + 10
        try:
            await act()
            for state in expected:
                await watcher.wait_for(lock, state, timeout=budget)
        except (TimeoutError, RuntimeError) as err:
            say(f"screenshots: '{name}' did not complete ({err}); the pictures go on")

    # -------------------------------------------------------------- browser steps
    async def open(self, page: str, *, wait_text: Sequence[str] = (), timeout: float = 30) -> None:  # noqa: ASYNC109
        """Open ``page`` logged in and wait until it is drawn."""
        code = await self._auth_code(page)
        await self.page.navigate(authorized_url(self.hass.url, page, code))
        await self.settle(wait_text=wait_text, timeout=timeout)

    async def _auth_code(self, page: str) -> str:
        hass_url = self.hass.url
        client_id = f"{hass_url}/"
        flow = await self.hass.post(
            "/auth/login_flow",
            {
                "client_id": client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": redirect_uri(hass_url, page),
            },
        )
        result = await self.hass.post(
            f"/auth/login_flow/{flow['flow_id']}",
            {
                "username": self.hass.user.username,
                "password": self.hass.user.password,
                "client_id": client_id,
            },
        )
        if result.get("type") != "create_entry":
            raise ScreenshotError(f"login flow did not give a code: {result.get('errors')}")
        return str(result["result"])

    async def settle(self, *, wait_text: Sequence[str] = (), timeout: float = 30) -> str:  # noqa: ASYNC109
        """Wait until no spinner is visible and every ``wait_text`` is on the page; return the text.

        The page must stay quiet for a moment (animations, late websocket answers).
        """
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        state: JSONObject = {}
        while time.monotonic() < deadline:
            try:
                state = await self.page.evaluate(js_page_state()) or {}
            except ScreenshotError:
                state = {}  # the page is navigating: its JavaScript context is gone
            text = str(state.get("text", ""))
            ready = (
                bool(text)
                and state.get("busy") == 0
                and all(t in text for t in wait_text)
                and not looks_logged_out(text)
            )
            if ready:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= 1.0:
                    return text
            else:
                quiet_since = None
            await asyncio.sleep(0.25)
        text = str(state.get("text", ""))
        why = (
            "the login page"
            if looks_logged_out(text)
            else (
                f"{state.get('busy')} spinner(s)"
                if state.get("busy")
                else f"no {[t for t in wait_text if t not in text]}"
            )
        )
        raise ScreenshotError(f"page {state.get('path')} not ready after {timeout} s: {why}")

    async def click(
        self,
        text: str,
        *,
        wait_text: Sequence[str] = (),
        timeout: float = 15,  # noqa: ASYNC109
        exact: bool = False,
    ) -> None:
        """Click the element labelled ``text`` (waiting for it), then wait for the page."""
        deadline = time.monotonic() + timeout
        while (await self.page.evaluate(js_click_text(text, exact=exact))) is None:
            if time.monotonic() > deadline:
                raise ScreenshotError(f"nothing labelled {text!r} to click")
            await asyncio.sleep(0.25)
        await self.settle(wait_text=wait_text, timeout=timeout)

    async def more_info(self, entity_id: str, *, wait_text: Sequence[str] = ()) -> None:
        """Open the more-info dialog of ``entity_id``."""
        if not await self.page.evaluate(js_more_info(entity_id)):
            raise ScreenshotError("the frontend is not loaded (no <home-assistant> element)")
        await self.settle(wait_text=wait_text)

    async def save(self, name: str) -> Path:
        """Write the viewport to ``<out>/<name>.png``."""
        data = await self.page.screenshot()
        if not is_png(data):
            raise ScreenshotError(f"{name}: Chromium did not return a PNG")
        path = self.out / f"{name}.png"
        path.write_bytes(data)
        self.written.append(path)
        shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
        say(f"screenshots: wrote {shown}")
        return path

    async def save_failure(self, name: str, attempt: int) -> None:
        """Keep what the browser showed when a picture failed (in the work directory)."""
        with contextlib.suppress(ScreenshotError, aiohttp.ClientError, TimeoutError, OSError):
            data = await self.page.screenshot()
            path = self.stack.workdir / f"failed-{name}-{attempt}.png"
            path.write_bytes(data)
            say(f"screenshots: what the browser showed: {path}")

    async def friendly_name(self, entity_id: str) -> str:
        """Return the entity's friendly name as the UI shows it."""
        state = await self.hass.state(entity_id) or {}
        return str((state.get("attributes") or {}).get("friendly_name") or entity_id)

    # -------------------------------------------------------------- the pictures
    async def shot_dashboard(self) -> None:
        """Take the dashboard: the lock tile with its commands, the other entities, the logbook."""
        await self.open("/lovelace/door", wait_text=[await self.friendly_name(self.scene.lock)])
        await self.save("dashboard")

    async def shot_lock_more_info(self) -> None:
        """Take the lock's more-info dialog."""
        await self.open("/lovelace/door")
        await self.more_info(self.scene.lock, wait_text=[await self.friendly_name(self.scene.lock)])
        await self.save("lock-more-info")

    async def shot_device(self) -> None:
        """Take the device page: every entity of the lock, as Home Assistant groups them."""
        await self.open(device_path(self.scene.device_id), wait_text=["LOQED"])
        await self.save("device")

    async def shot_bridge_device(self) -> None:
        """Take the bridge's device page (when the integration adds the bridge as a device)."""
        if not self.scene.other_device_ids:
            say("screenshots: bridge-device skipped: the integration has a single device")
            return
        await self.open(device_path(self.scene.other_device_ids[0]), wait_text=["LOQED"])
        await self.save("bridge-device")

    async def shot_logbook(self) -> None:
        """Take the logbook of the lock (and its event entity)."""
        logged = [e for e in self.scene.entities if e.split(".", 1)[0] in {"lock", "event"}]
        await self.open(logbook_path(logged), wait_text=[await self.friendly_name(self.scene.lock)])
        await self.save("logbook")

    async def start_config_flow(self) -> None:
        """Open "add integration" for our domain, confirm, and wait for the menu."""
        await self.open(flow_start_path(), wait_text=["Do you want to set up"])
        await self.click("OK", exact=True, wait_text=["Paste the Integration information"])

    async def shot_config_flow_menu(self) -> None:
        """Take the first step of adding the integration: how to give the keys."""
        await self.start_config_flow()
        await self.save("config-flow-menu")

    async def shot_config_flow_paste(self) -> None:
        """Take the paste form."""
        await self.start_config_flow()
        await self.click("Paste the Integration information", wait_text=["Add new API key"])
        await self.save("config-flow-paste")

    async def shot_options(self) -> None:
        """Take the options of an entry."""
        await self.open(integration_path(), wait_text=["Configure"])
        await self.click("Configure", wait_text=["LOQED bridge options"])
        await self.save("options")
        if await self.page.evaluate(js_expand("Connection to the bridge")):
            await self.settle(wait_text=["Callback URL"])
            await self.save("options-connection")

    async def shot_repair(self) -> None:
        """Take a repair issue, raised for real through the emulator."""
        title = await self.raise_repair()
        await self.open("/config/repairs", wait_text=[title])
        await self.click(title, wait_text=[title])
        await self.save("repair")

    async def raise_repair(self) -> str:
        """Make the integration raise a repair issue; return its title as the UI shows it.

        Prefers an issue about webhook registrations of other parties (four foreign ones
        registered on the emulated bridge, then the entry reloaded so that it looks again), when
        the integration has such an issue; else the lock-key issue: the entry is told to use a key
        id the lock does not know, and two commands go unanswered.
        """
        strings = json.loads(
            (REPO_ROOT / "custom_components" / DOMAIN / "strings.json").read_text(encoding="utf-8")
        )
        issues: Mapping[str, Any] = strings.get("issues", {})
        foreign = next((key for key in issues if "foreign" in key), None)
        if foreign is not None:
            await self._register_foreign_webhooks(4)
            await self.hass.post(f"/api/config/config_entries/entry/{self.scene.entry_id}/reload")
            key = foreign
        else:
            await self._break_lock_key()
            key = next(key for key in issues if key.startswith("lock_key"))
        return await self._wait_for_issue(key)

    async def _register_foreign_webhooks(self, count: int) -> None:
        from aioloqed import LoqedBridge, LoqedCredentials  # noqa: PLC0415 - only this path

        credentials = LoqedCredentials.from_integration_information(self.stack.emulator.info_text)
        async with LoqedBridge.from_credentials(credentials) as bridge:
            for index in range(count):
                await bridge.add_webhook(f"http://192.0.2.{50 + index}:1880/loqed")

    async def _break_lock_key(self) -> None:
        info = self.stack.emulator.info
        flow = await self.hass.post(
            "/api/config/config_entries/flow", {"handler": DOMAIN, "entry_id": self.scene.entry_id}
        )
        await self.hass.continue_flow(
            str(flow["flow_id"]),
            {
                "host": str(info["bridge_ip"]),
                "bridge_key": "",
                "lock_key": "",
                "local_key_id": (int(info["lock_key_local_id"]) + 6) % 250,
            },
        )
        await self.hass.wait_for_entity(DOMAIN, "lock")
        await asyncio.sleep(1)
        async with self.hass.websocket() as ws:
            for service in ("unlock", "lock"):
                with contextlib.suppress(RuntimeError):  # "the lock did not confirm": expected
                    await ws.call_service("lock", service, target={"entity_id": self.scene.lock})
                await asyncio.sleep(STEP_GAP)

    async def _wait_for_issue(self, key: str, timeout: float = 60) -> str:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        async with self.hass.websocket() as ws:
            while time.monotonic() < deadline:
                answer = await ws.command({"type": "repairs/list_issues"})
                for issue in answer.get("issues", []):
                    if issue.get("domain") == DOMAIN and issue.get("translation_key") == key:
                        return await self._issue_title(ws, key, issue)
                await asyncio.sleep(0.5)
        raise ScreenshotError(f"the repair issue {key!r} did not appear within {timeout} s")

    async def _issue_title(self, ws: HassWebSocket, key: str, issue: Mapping[str, Any]) -> str:
        resources = await ws.command(
            {
                "type": "frontend/get_translations",
                "language": "en",
                "category": "issues",
                "integration": [DOMAIN],
            }
        )
        title = str(
            resources.get("resources", {}).get(f"component.{DOMAIN}.issues.{key}.title", key)
        )
        for name, value in (issue.get("translation_placeholders") or {}).items():
            title = title.replace(f"{{{name}}}", str(value))
        return title


SHOTS: Final[dict[str, tuple[str, Callable[[ShotSession], Awaitable[None]]]]] = {
    "dashboard": ("a dashboard: lock tile, entities, logbook", ShotSession.shot_dashboard),
    "lock-more-info": ("the lock's more-info dialog", ShotSession.shot_lock_more_info),
    "device": ("the device page", ShotSession.shot_device),
    "bridge-device": ("the bridge's device page", ShotSession.shot_bridge_device),
    "logbook": ("the logbook of the lock", ShotSession.shot_logbook),
    "config-flow-menu": ("adding the integration: the menu", ShotSession.shot_config_flow_menu),
    "config-flow-paste": ("adding it: the paste form", ShotSession.shot_config_flow_paste),
    "options": ("the options of the entry", ShotSession.shot_options),
    # last: the lock-key repair leaves the entry with a key the lock does not know
    "repair": ("a repair issue raised through the emulator", ShotSession.shot_repair),
}


# ---------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/screenshots",
        description="Take the screenshots in docs/screenshots/ from a real Home Assistant with "
        "the emulated bridge, in a private network namespace, with headless Chromium.",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory for the PNG files")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="take only this one (repeatable)",
    )
    parser.add_argument("--list", action="store_true", help="list the screenshots and exit")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    parser.add_argument(
        "--no-install", action="store_true", help="never install Chromium, fail if it is missing"
    )
    parser.add_argument("--retries", type=int, default=2, help="retries per picture (default 2)")
    return parser.parse_args(argv)


def write_configuration(workdir: Path) -> Path:
    """Write the pictures' configuration.yaml into ``workdir``; return its path."""
    config_path = workdir / "configuration.yaml"
    config_path.write_text(
        yaml.safe_dump(
            screenshot_configuration(load_base_configuration(DEFAULT_CONFIGURATION)),
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    return config_path


async def run(names: Sequence[str], out: Path, workdir: Path, chromium: str, retries: int) -> int:
    """Start the stack and the browser, take the pictures, stop everything; return the failures."""
    from tools.scenario import LoqedStack  # noqa: PLC0415 - after the namespace is entered

    config_path = workdir / "configuration.yaml"
    stack = LoqedStack(
        workdir, motor_time=1.0, relatch_time=2.0, emulator_args=["--seed", EMULATOR_SEED]
    )
    user = HassUser("demo")
    stack.hass = HomeAssistant(
        workdir / "hass", user=user, base_configuration=config_path, keep_config_dir=True
    )
    browser = Chromium(chromium, workdir)
    failures = 0
    try:
        await stack.start(lambda line: say(f"screenshots: {line}"))
        session = ShotSession(stack, browser, out)
        say("screenshots: operating the lock so that the logbook has a story")
        await session.prepare()
        await browser.start()
        for name in names:
            for attempt in range(retries + 1):
                try:
                    await SHOTS[name][1](session)
                    break
                except ScreenshotError as err:
                    say(f"screenshots: {name}: {err}" + ("; retrying" if attempt < retries else ""))
                    await session.save_failure(name, attempt)
                    if attempt == retries:
                        failures += 1
    finally:
        served = sum(1 for _url, ours in browser.brand_requests if ours)
        say(f"screenshots: {served} brand image request(s) answered with our icon")
        await browser.stop()
        await stack.stop()
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    """Check Chromium, enter a private namespace, take the pictures."""
    args = parse_args(argv)
    if args.list:
        for name, (description, _shot) in SHOTS.items():
            say(f"{name:18} {description}")
        return 0
    try:
        names = select_shots(list(SHOTS), args.only)
        chromium = ensure_chromium(install=not args.no_install)
    except (ValueError, ScreenshotError, subprocess.CalledProcessError) as err:
        sys.stderr.write(f"screenshots: {err}\n")
        return 2
    from tools.netns import NetnsError, enter_private_netns  # noqa: PLC0415

    try:
        enter_private_netns()
    except NetnsError as err:
        sys.stderr.write(f"screenshots: {err}\n")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="loqed-screenshots-"))
    write_configuration(workdir)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        failures = asyncio.run(run(names, args.out.resolve(), workdir, chromium, args.retries))
    finally:
        if args.keep:
            say(f"screenshots: work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        sys.stderr.write(f"screenshots: {failures} picture(s) failed\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
