"""The driver's side of the probe inside Home Assistant (`custom_components/bench_probe`)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
import random
from typing import TYPE_CHECKING, Any

from benchmarks.stats import ns_to_ms, summarize

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from tools.hass_harness import HomeAssistant, JSONObject


@dataclass(frozen=True, slots=True)
class ProbeRecord:
    """One record: ``kind`` is ``state``, ``service``, ``entry``, ``webhook`` or ``gc``.

    ``state``: subject = entity id, value = new state, extra = changed_by.
    ``service``: subject = entity id, value = service.
    ``entry``: subject = domain, value = entry state, extra = entry id.
    ``webhook``: subject = the name the driver gave the webhook.
    ``gc``: subject = ``gen0``..``gen2``, value = duration in ns; stamped when it began.
    """

    time_ns: int
    kind: str
    subject: str
    value: str | None
    extra: str | None

    @classmethod
    def from_json(cls, item: list[Any]) -> ProbeRecord:
        """Build from the probe's list form."""
        time_ns, kind, subject, value, extra = item
        return cls(int(time_ns), str(kind), str(subject), value, extra)


class Collections:
    """Home Assistant's garbage collections, to tell which samples lost a pause to one."""

    LONGEST_NS = 1_000_000_000
    """No collection is taken to last longer than this (it bounds the search)."""

    def __init__(self, records: Iterable[ProbeRecord]) -> None:
        """Take the ``gc`` records."""
        spans = sorted(
            (r.time_ns, r.time_ns + int(r.value or 0)) for r in records if r.kind == "gc"
        )
        self._starts = [start for start, _ in spans]
        self._ends = [end for _, end in spans]

    def inside(self, start_ns: int, end_ns: int) -> bool:
        """Whether a collection ran (at least in part) between ``start_ns`` and ``end_ns``."""
        index = bisect.bisect_left(self._starts, end_ns) - 1
        while index >= 0 and self._starts[index] > start_ns - self.LONGEST_NS:
            if self._ends[index] > start_ns:
                return True
            index -= 1
        return False

    def split(self, spans: Sequence[tuple[int, int]]) -> dict[str, Any]:
        """How many ``(start_ns, end_ns)`` samples had a collection inside, and the others.

        ``with_collection``: their number; ``without_collection_ms``: a summary of the rest.
        """
        others = [end - start for start, end in spans if not self.inside(start, end)]
        return {
            "with_collection": len(spans) - len(others),
            "without_collection_ms": summarize(ns_to_ms(others)),
        }


class Probe:
    """Reads the probe's records; keeps every record read so far, in order."""

    def __init__(self, hass: HomeAssistant, seed: int = 0) -> None:
        """Bind to a running Home Assistant; ``seed`` makes the collector shifts repeatable."""
        self._hass = hass
        self.records: list[ProbeRecord] = []
        self._next = 0
        self.last: JSONObject = {}
        self._random = random.Random(seed)

    def reset(self) -> None:
        """Forget the cursor (after a restart the probe starts again at 0)."""
        self._next = 0

    async def fetch(self) -> JSONObject:
        """Read new records (and the reports) from the probe."""
        answer: JSONObject = await self._hass.get(f"/api/bench_probe?since={self._next}")
        self.records.extend(ProbeRecord.from_json(item) for item in answer["records"])
        self._next = int(answer["next"])
        self.last = answer
        return answer

    async def shift_collector(self) -> None:
        """Move Home Assistant's garbage collector to a random point of its count.

        The probe makes a random number of unreachable objects, below the count that starts a
        collection; one may start right here, before the sample. See the probe's docstring.
        """
        threshold = int((self.last.get("gc") or {}).get("threshold", [0])[0])
        if threshold > 0:
            count = self._random.randrange(threshold)
            await self._hass.post("/api/bench_probe", {"garbage": count})

    def collections(self) -> Collections:
        """The garbage collections among the records read so far."""
        return Collections(self.records)

    async def wrap_webhooks(self, urls: Mapping[str, str]) -> list[str]:
        """Have the probe stamp entry into each webhook handler (``{name: webhook URL}``)."""
        names = {url.rstrip("/").rsplit("/", 1)[-1]: name for name, url in urls.items()}
        answer: JSONObject = await self._hass.post("/api/bench_probe", {"wrap": names})
        return list(answer.get("wrapped", []))

    async def start_profile(self, interval: float = 0.0001) -> None:
        """Start pyinstrument on Home Assistant's event loop thread."""
        await self._hass.post("/api/bench_probe", {"profile": "start", "interval": interval})

    async def stop_profile(self, path: str, events: int) -> None:
        """Stop it; Home Assistant writes the call trees (text) to ``path``."""
        await self._hass.post(
            "/api/bench_probe", {"profile": "stop", "path": path, "events": events}
        )

    def select(self, kind: str, subject: str, since_ns: int = 0) -> list[ProbeRecord]:
        """Records of one kind and subject from ``since_ns`` on."""
        return [
            r
            for r in self.records
            if r.kind == kind and r.subject == subject and r.time_ns >= since_ns
        ]


def first_at_or_after(
    records: Iterable[ProbeRecord], since_ns: int, value: str | None = None
) -> ProbeRecord | None:
    """The earliest record at or after ``since_ns`` (with ``value``, if given)."""
    best: ProbeRecord | None = None
    for record in records:
        if record.time_ns < since_ns or (value is not None and record.value != value):
            continue
        if best is None or record.time_ns < best.time_ns:
            best = record
    return best
