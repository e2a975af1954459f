"""The driver's side of the probe inside Home Assistant (`custom_components/bench_probe`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from tools.hass_harness import HomeAssistant, JSONObject


@dataclass(frozen=True, slots=True)
class ProbeRecord:
    """One record: ``kind`` is ``state``, ``service`` or ``entry``.

    ``state``: subject = entity id, value = new state, extra = changed_by.
    ``service``: subject = entity id, value = service.
    ``entry``: subject = domain, value = entry state, extra = entry id.
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


class Probe:
    """Reads the probe's records; keeps every record read so far, in order."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Bind to a running Home Assistant."""
        self._hass = hass
        self.records: list[ProbeRecord] = []
        self._next = 0
        self.last: JSONObject = {}

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
