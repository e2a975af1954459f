"""Benchmark probe: records, inside Home Assistant, when things happen (benchmarks only).

Loaded from YAML (``bench_probe:``) by ``benchmarks/run``; never shipped. It timestamps with
``time.monotonic_ns()``, which on Linux reads ``CLOCK_MONOTONIC``: one clock for every process on
the machine, so the benchmark driver (another process) compares its own send times with these.

Recorded, each in a plain tuple appended to one list (a few hundred nanoseconds per record):

* ``state``: every ``state_changed`` of a ``lock.*`` entity, from a bus listener that Home
  Assistant runs synchronously inside ``async_write_ha_state`` (no task, no websocket);
* ``service``: every ``call_service`` event of the ``lock`` domain, fired when the service
  registry receives the call, before the entity acts on it;
* ``entry``: every config entry state change (setup started, loaded, ...);
* ``webhook``: entry into a webhook handler the driver asked to wrap (``POST`` with
  ``{"wrap": {webhook_id: name}}``): one stamp before the integration's own handler runs, which
  splits event to state into Home Assistant's HTTP and webhook dispatch, and the integration.
* ``gc``: every run of Python's garbage collector (subject ``gen0``..``gen2``, value its
  duration in ns), stamped when it began: a sample with one inside its window lost that pause.

``POST /api/bench_probe`` with ``{"garbage": n}`` makes ``n`` unreachable objects. The collector
runs after a fixed number of new objects (``gc.get_threshold()[0]``), so a benchmark that repeats
the same steps can fall into step with it: the same integration's window then catches the pauses
sample after sample. A random ``n`` before each sample puts the collector at a random point of its
count, as the other integrations of a real Home Assistant do.

``POST /api/bench_probe`` with ``{"profile": "start"}`` / ``{"profile": "stop", "path": ...}``
runs pyinstrument on the event loop's thread (for ``benchmarks/run --profile``, never during
measurements).

``GET /api/bench_probe?since=N`` (authenticated) returns the records from index N on, with the
process start time, Home Assistant's own setup timings and the polling intervals the LOQED
integrations are running with.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
import sys
import time
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.const import EVENT_CALL_SERVICE, EVENT_HOMEASSISTANT_STARTED, EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.setup import async_get_domain_setup_times, async_get_setup_timings
from pyinstrument import Profiler

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from aiohttp import web
    from homeassistant.helpers.typing import ConfigType

    Handler: TypeAlias = Callable[[HomeAssistant, str, web.Request], Awaitable[web.Response | None]]

DOMAIN: Final = "bench_probe"
WATCHED_DOMAINS: Final = ("loqed_bridge", "loqed", "limit")
_STAT_STARTTIME_FIELD: Final = 21  # 0-based index of starttime in /proc/<pid>/stat
MAX_GARBAGE: Final = 100_000


Record: TypeAlias = tuple[int, str, str, str | None, str | None]


class GcClock:
    """Python's garbage collector: each run as a record, and totals per generation."""

    def __init__(self, records: list[Record]) -> None:
        """Start counting; append one ``gc`` record per collection to ``records``."""
        self.seconds = [0.0, 0.0, 0.0]
        self.collections = [0, 0, 0]
        self._records = records
        self._started = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        """The garbage collector's callback (``gc.callbacks``)."""
        if phase == "start":
            self._started = time.monotonic_ns()
            return
        duration = time.monotonic_ns() - self._started
        generation = info.get("generation", 0)
        self.seconds[generation] += duration / 1e9
        self.collections[generation] += 1
        self._records.append((self._started, "gc", f"gen{generation}", str(duration), None))

    def report(self) -> dict[str, Any]:
        """Totals so far, and the collector's thresholds."""
        return {
            "seconds": [round(s, 6) for s in self.seconds],
            "collections": self.collections,
            "threshold": list(gc.get_threshold()),
        }


def make_garbage(count: int) -> None:
    """Make ``count`` unreachable objects for the collector to find (one cycle each)."""
    for _ in range(count):
        cycle: list[Any] = []
        cycle.append(cycle)


class Recorder:
    """The records and the start-up times."""

    def __init__(self) -> None:
        """Start empty."""
        self.records: list[Record] = []
        self.process_start_boottime: float | None = None
        self.started_boottime: float | None = None
        self.started_monotonic_ns: int | None = None
        self.profiler: Profiler | None = None
        self.gc_clock = GcClock(self.records)

    @callback
    def on_state_changed(self, event: Event[EventStateChangedData]) -> None:
        """Record a lock's new state (runs inside the state write)."""
        now = time.monotonic_ns()
        data = event.data
        new = data["new_state"]
        if new is None:
            self.records.append((now, "state", data["entity_id"], None, None))
            return
        changed_by = new.attributes.get("changed_by")
        self.records.append(
            (
                now,
                "state",
                data["entity_id"],
                new.state,
                None if changed_by is None else str(changed_by),
            )
        )

    @callback
    def on_call_service(self, event: Event[Mapping[str, Any]]) -> None:
        """Record a lock service call as the service registry receives it."""
        now = time.monotonic_ns()
        service_data = event.data.get("service_data") or {}
        entity = service_data.get("entity_id")
        if isinstance(entity, list):
            entity = ",".join(str(item) for item in entity)
        self.records.append((now, "service", str(entity), str(event.data.get("service")), None))

    @callback
    def on_entry_changed(self, change: ConfigEntryChange, entry: ConfigEntry) -> None:
        """Record a config entry's state change."""
        if change is ConfigEntryChange.UPDATED and entry.domain in WATCHED_DOMAINS:
            now = time.monotonic_ns()
            self.records.append((now, "entry", entry.domain, entry.state.value, entry.entry_id))

    @callback
    def wrap_webhooks(self, hass: HomeAssistant, names: Mapping[str, str]) -> list[str]:
        """Stamp entry into the handlers of these webhooks; return the names wrapped."""
        handlers: dict[str, dict[str, Any]] = hass.data.get("webhook", {})
        wrapped: list[str] = []
        for webhook_id, name in names.items():
            info = handlers.get(webhook_id)
            if info is None:
                continue
            if not getattr(info["handler"], "bench_probe_wrapped", False):
                info["handler"] = self._timed(info["handler"], name)
            wrapped.append(name)
        return wrapped

    def _timed(self, handler: Handler, name: str) -> Handler:
        records = self.records

        async def timed(
            hass: HomeAssistant, webhook_id: str, request: web.Request
        ) -> web.Response | None:
            records.append((time.monotonic_ns(), "webhook", name, None, None))
            return await handler(hass, webhook_id, request)

        timed.bench_probe_wrapped = True  # type: ignore[attr-defined]
        return timed

    def start_profile(self, interval: float) -> None:
        """Sample the event loop's thread with pyinstrument (every ``interval`` s)."""
        self.profiler = Profiler(interval=interval, async_mode="disabled")
        self.profiler.start()

    def stop_profile(self, events: int) -> str:
        """Stop sampling; return the webhook handlers' call trees, then the whole loop's."""
        profiler, self.profiler = self.profiler, None
        if profiler is None:
            return "no profile was running\n"
        session = profiler.stop()
        lines = [
            (
                f"Webhook dispatch and the integration's handler, every frame, {events} events "
                "(microseconds per event, with the profiler's own overhead):"
            ),
            "",
        ]
        root = session.root_frame()
        tree = merged_tree(_find_frames(root, "async_handle_webhook") if root else [])
        lines += _render(tree, "async_handle_webhook (all events)", events, tree.time * 0.01)
        lines += ["", "The event loop thread (library frames folded):", ""]
        lines.append(str(profiler.output_text(unicode=False, color=False, show_all=False)))
        return "\n".join(lines) + "\n"

    @callback
    def on_started(self, _event: Event[Any]) -> None:
        """Remember when Home Assistant reported itself started."""
        self.started_boottime = time.clock_gettime(time.CLOCK_BOOTTIME)
        self.started_monotonic_ns = time.monotonic_ns()


@callback
def _is_lock_state(data: EventStateChangedData) -> bool:
    return data["entity_id"].startswith("lock.")


@callback
def _is_lock_service(data: Mapping[str, Any]) -> bool:
    return data.get("domain") == "lock"


def process_start_boottime() -> float:
    """Seconds after boot at which this process started (``/proc/self/stat``, 10 ms ticks)."""
    stat = Path("/proc/self/stat").read_text(encoding="ascii")
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = int(fields[_STAT_STARTTIME_FIELD - 2])
    return ticks / os.sysconf("SC_CLK_TCK")


def _seconds(value: Any) -> float | None:
    total = getattr(value, "total_seconds", None)
    return None if total is None else float(total())


def polling_report(hass: HomeAssistant) -> dict[str, Any]:
    """What the LOQED integrations will read from their bridges while nothing happens.

    Read from the running objects (the coordinators' current ``update_interval``) and, for
    ``loqed_bridge``, its configured webhook check interval.
    """
    report: dict[str, Any] = {}
    for entry in hass.config_entries.async_entries("loqed_bridge"):
        coordinator = getattr(entry, "runtime_data", None)
        const = sys.modules.get("custom_components.loqed_bridge.const")
        report["loqed_bridge"] = {
            "state": entry.state.value,
            "update_interval": _seconds(getattr(coordinator, "update_interval", None)),
            "push_healthy": getattr(coordinator, "push_healthy", None),
            "reconcile_interval": _seconds(getattr(const, "RECONCILE_INTERVAL", None)),
            "healthy_poll_interval": _seconds(getattr(const, "HEALTHY_POLL_INTERVAL", None)),
            "fallback_poll_interval": _seconds(getattr(const, "FALLBACK_POLL_INTERVAL", None)),
        }
    for entry in hass.config_entries.async_entries("loqed"):
        coordinator = hass.data.get("loqed", {}).get(entry.entry_id)
        report["loqed"] = {
            "state": entry.state.value,
            "update_interval": _seconds(getattr(coordinator, "update_interval", None)),
        }
    return report


def setup_report(hass: HomeAssistant) -> dict[str, Any]:
    """Home Assistant's own setup timings (what its "integration startup time" page shows)."""
    totals = async_get_setup_timings(hass)
    phases = {
        domain: {
            str(group): {str(phase): seconds for phase, seconds in timings.items()}
            for group, timings in async_get_domain_setup_times(hass, domain).items()
        }
        for domain in WATCHED_DOMAINS
    }
    return {"totals": {d: totals.get(d) for d in WATCHED_DOMAINS}, "phases": phases}


class ProbeView(HomeAssistantView):
    """``GET /api/bench_probe?since=N``: the records from index N on, and the reports."""

    url = "/api/bench_probe"
    name = "api:bench_probe"

    def __init__(self, recorder: Recorder) -> None:
        """Serve this recorder."""
        self._recorder = recorder

    async def get(self, request: web.Request) -> web.Response:
        """Return the records and reports as JSON."""
        hass: HomeAssistant = request.app["hass"]
        recorder = self._recorder
        since = int(request.query.get("since", "0"))
        return self.json(
            {
                "next": len(recorder.records),
                "records": recorder.records[since:],
                "now_ns": time.monotonic_ns(),
                "process_start_boottime": recorder.process_start_boottime,
                "started_boottime": recorder.started_boottime,
                "started_monotonic_ns": recorder.started_monotonic_ns,
                "setup": setup_report(hass),
                "polling": polling_report(hass),
                "gc": recorder.gc_clock.report(),
            }
        )

    async def post(self, request: web.Request) -> web.Response:
        """``{"wrap": {webhook_id: name}}``, ``{"garbage": n}`` or ``{"profile": ...}``."""
        hass: HomeAssistant = request.app["hass"]
        body = await request.json()
        if not isinstance(body, dict):
            return self.json({"error": "expected a JSON object"}, 400)
        if isinstance(count := body.get("garbage"), int) and 0 <= count <= MAX_GARBAGE:
            make_garbage(count)
            return self.json({"garbage": count})
        if isinstance(names := body.get("wrap"), dict):
            return self.json({"wrapped": self._recorder.wrap_webhooks(hass, names)})
        if body.get("profile") == "start":
            self._recorder.start_profile(float(body.get("interval", 0.0001)))
            return self.json({"profiling": True})
        if body.get("profile") == "stop" and isinstance(path := body.get("path"), str):
            report = self._recorder.stop_profile(int(body.get("events", 1)))
            await hass.async_add_executor_job(_write_text, Path(path), report)
            return self.json({"profiling": False, "path": path})
        return self.json({"error": "expected wrap, garbage or profile"}, 400)


def _find_frames(frame: Any, function: str) -> list[Any]:
    """Outermost frames of ``function`` in a pyinstrument frame tree."""
    if frame.function == function:
        return [frame]
    found: list[Any] = []
    for child in frame.children:
        found += _find_frames(child, function)
    return found


class _Node:
    """Frames merged by function and place, whatever the stack above them."""

    def __init__(self) -> None:
        self.time = 0.0
        self.children: dict[str, _Node] = {}

    def add(self, frame: Any) -> None:
        self.time += frame.time
        for child in frame.children:
            place = str(child.file_path_short)
            if "custom_components/" in place:
                place = place[place.index("custom_components/") :]
            key = f"{child.function}  {place}:{child.line_no}"
            self.children.setdefault(key, _Node()).add(child)


def merged_tree(frames: list[Any]) -> _Node:
    """One tree for all the frames (the webhook dispatch of every event)."""
    root = _Node()
    for frame in frames:
        root.add(frame)
    return root


def _render(node: _Node, name: str, events: int, threshold: float, depth: int = 0) -> list[str]:
    """One line per merged frame above ``threshold`` seconds: µs per event, function, place."""
    lines = [f"{'  ' * depth}{node.time / max(events, 1) * 1e6:8.1f} us  {name}"]
    for key, child in sorted(node.children.items(), key=lambda item: -item[1].time):
        if child.time >= threshold:
            lines += _render(child, key, events, threshold, depth + 1)
    return lines


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Start recording."""
    recorder = Recorder()
    recorder.process_start_boottime = await hass.async_add_executor_job(process_start_boottime)
    gc.callbacks.append(recorder.gc_clock)
    hass.bus.async_listen(
        EVENT_STATE_CHANGED, recorder.on_state_changed, event_filter=_is_lock_state
    )
    hass.bus.async_listen(
        EVENT_CALL_SERVICE, recorder.on_call_service, event_filter=_is_lock_service
    )
    async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, recorder.on_entry_changed)
    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STARTED, recorder.on_started)
    hass.http.register_view(ProbeView(recorder))
    return True
