"""One Home Assistant with three lock integrations, each against its own emulated bridge.

* ``ours``: ``loqed_bridge``, added through its config flow (the paste step), as a user does;
* ``builtin``: Home Assistant's own ``loqed``. Its config flow needs LOQED's cloud, so its config
  entry is written into ``.storage/core.config_entries`` before the first start, with the data
  keys its config flow writes (the cloud lock list's values, from the emulator's Integration
  information; ``api_token`` is a placeholder the integration never reads after its flow);
* ``limit``: the benchmark's floor (``benchmarks/custom_components/limit``), from YAML.

The probe (``benchmarks/custom_components/bench_probe``) records inside Home Assistant. The three
emulators run in this process (`benchmarks.emulators`) with identical settings; only their keys
and identity differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
from pathlib import Path
import re
import secrets
import time
from typing import TYPE_CHECKING, Any
import uuid

from tools.hass_harness import (
    INTEGRATION_DIR,
    HassApiError,
    HassUser,
    HomeAssistant,
    JSONObject,
    load_base_configuration,
)
from tools.lifecycle import StartStop
import yaml  # type: ignore[import-untyped,unused-ignore]

from benchmarks.emulators import TimedBridge, bench_config

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

BENCH_DIR = Path(__file__).resolve().parent
PROBE_DIR = BENCH_DIR / "custom_components" / "bench_probe"
LIMIT_DIR = BENCH_DIR / "custom_components" / "limit"
ALL_TRIGGERS = 511
TARGET_NAMES = ("ours", "builtin", "limit")
LABELS = {
    "ours": "loqed_bridge (ours)",
    "builtin": "loqed (built-in)",
    "limit": "limit (floor)",
}
DOMAINS = {"ours": "loqed_bridge", "builtin": "loqed", "limit": "limit"}
_MDNS_MAC = re.compile(r"LOQED-([a-f0-9]+)\.local")


@dataclass(slots=True)
class Target:
    """One integration under test, its bridge, its lock entity and its webhook URL."""

    name: str
    bridge: TimedBridge
    entity_id: str = ""
    webhook_url: str = ""
    entry_id: str | None = None

    @property
    def label(self) -> str:
        """Name for tables."""
        return LABELS[self.name]

    @property
    def domain(self) -> str:
        """Home Assistant domain."""
        return DOMAINS[self.name]

    @property
    def bridge_key(self) -> bytes:
        """The key the bridge signs its webhooks with."""
        return self.bridge.config.bridge_key


def builtin_entry(info: JSONObject, *, title: str = "LOQED Touch Smart Lock") -> JSONObject:
    """A config entry of the built-in ``loqed`` as its config flow stores it.

    Data keys as ``homeassistant/components/loqed/config_flow.py`` writes them: the user's input
    (``name``, ``api_token``), ``webhook_id``, then the values it copies from the cloud's lock
    list, which are those of the Integration information.
    """
    now = datetime.now(UTC).isoformat()
    mdns = str(info["bridge_mdns_hostname"])
    return {
        "created_at": now,
        "data": {
            "name": "Bench door",
            "api_token": "placeholder-never-used-after-the-config-flow",
            "webhook_id": secrets.token_hex(32),
            "lock_key_key": info["lock_key_key"],
            "bridge_key": info["bridge_key"],
            "lock_key_local_id": info["lock_key_local_id"],
            "bridge_mdns_hostname": mdns,
            "bridge_ip": info["bridge_ip"],
            "id": info["lock_id"],
        },
        "discovery_keys": {},
        "disabled_by": None,
        "domain": "loqed",
        "entry_id": uuid.uuid4().hex.upper()[:26],
        "minor_version": 1,
        "modified_at": now,
        "options": {},
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "subentries": [],
        "title": title,
        "unique_id": _MDNS_MAC.sub(r"\1", mdns),
        "version": 1,
    }


class BenchHomeAssistant(HomeAssistant):
    """The harness's Home Assistant, with config entries seeded before the first start."""

    def __init__(self, *args: Any, seed_entries: Sequence[JSONObject] = (), **kwargs: Any) -> None:
        """Like `HomeAssistant`; ``seed_entries`` go into core.config_entries once."""
        super().__init__(*args, **kwargs)
        self._seed_entries = list(seed_entries)

    async def prepare(self) -> None:
        """Write the config dir, then the seeded entries (only if there are none yet)."""
        await super().prepare()
        # A regular package: Home Assistant mounts the config dir on sys.path only while it
        # imports ``custom_components``; as a namespace package its path would then shrink to
        # the repository's own custom_components (on PYTHONPATH) and miss the links to ours.
        (self.config_dir / "custom_components" / "__init__.py").write_text(
            '"""Custom integrations linked in by the benchmark."""\n', encoding="utf-8"
        )
        store = self.config_dir / ".storage" / "core.config_entries"
        if self._seed_entries and not store.exists():
            content = {
                "version": 1,
                "minor_version": 5,
                "key": "core.config_entries",
                "data": {"entries": self._seed_entries},
            }
            store.write_text(json.dumps(content, indent=2), encoding="utf-8")


@dataclass(slots=True)
class StartTimes:
    """Seconds the first start took, by phase."""

    emulators: float = 0.0
    hass: float = 0.0
    config_flow: float = 0.0
    entities: float = 0.0


@dataclass(slots=True)
class BenchStack(StartStop):
    """Three emulators, one Home Assistant, three lock entities."""

    workdir: Path
    integration_dir: Path = INTEGRATION_DIR
    targets: dict[str, Target] = field(default_factory=dict)
    hass: BenchHomeAssistant | None = None
    limit_webhook_id: str = field(default_factory=lambda: secrets.token_hex(32))
    times: StartTimes = field(default_factory=StartTimes)

    @property
    def ha(self) -> BenchHomeAssistant:
        """The running Home Assistant."""
        if self.hass is None:
            raise RuntimeError("the stack is not started")
        return self.hass

    def _base_configuration(self, limit: Target) -> Path:
        """configuration.yaml to start from: the repository's, quiet logs, probe and floor."""
        config = load_base_configuration()
        # Production-like logging for every integration alike: no debug formatting on hot paths.
        config["logger"] = {"default": "warning"}
        config["bench_probe"] = {}
        limit_info = limit.bridge.integration_information
        config["limit"] = {
            "webhook_id": self.limit_webhook_id,
            "bridge_url": limit.bridge.url,
            "lock_key": limit_info["lock_key_key"],
            "local_key_id": limit_info["lock_key_local_id"],
        }
        path = self.workdir / "base-configuration.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return path

    async def start(self, say: Callable[[str], None] = print) -> None:
        """Start the emulators and Home Assistant; add ours through its config flow."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        began = time.monotonic()
        for name in TARGET_NAMES:
            bridge = TimedBridge(bench_config(name=f"Bench {name}"))
            await bridge.start()
            self.targets[name] = Target(name, bridge)
        self.times.emulators = time.monotonic() - began
        builtin_info = dict(self.targets["builtin"].bridge.integration_information)
        self.hass = BenchHomeAssistant(
            self.workdir / "hass",
            user=HassUser("bench"),
            base_configuration=self._base_configuration(self.targets["limit"]),
            custom_components=(self.integration_dir, PROBE_DIR, LIMIT_DIR),
            keep_config_dir=True,
            seed_entries=[builtin_entry(builtin_info)],
        )
        say("starting Home Assistant (private network namespace, built-in entry seeded)")
        began = time.monotonic()
        await self.hass.start()
        self.times.hass = time.monotonic() - began
        say("adding loqed_bridge through its config flow")
        began = time.monotonic()
        ours_info = json.dumps(self.targets["ours"].bridge.integration_information)
        await self.hass.config_flow(
            "loqed_bridge",
            [{"next_step_id": "paste"}, {"integration_information": ours_info}],
        )
        self.times.config_flow = time.monotonic() - began
        began = time.monotonic()
        await self._find_entities()
        self.times.entities = time.monotonic() - began

    async def _find_entities(self) -> None:
        ha = self.ha
        limit = self.targets["limit"]
        limit.webhook_url = f"{ha.url}/api/webhook/{self.limit_webhook_id}"
        limit.bridge.registry.add(limit.webhook_url, ALL_TRIGGERS)
        for target in self.targets.values():
            target.entity_id = await ha.wait_for_entity(target.domain, "lock", timeout=30)
            if target.name != "limit":
                entries = await ha.config_entries(target.domain)
                if len(entries) != 1:
                    raise HassApiError(f"expected one {target.domain} entry, found {len(entries)}")
                target.entry_id = str(entries[0]["entry_id"])
                if entries[0].get("state") != "loaded":
                    raise HassApiError(f"{target.domain} entry is {entries[0].get('state')}")
                target.webhook_url = self.registered_url(target)

    def registered_url(self, target: Target) -> str:
        """The callback URL the integration registered on its bridge (exactly one)."""
        urls = [registration.url for registration in target.bridge.registry]
        if len(urls) != 1:
            raise HassApiError(f"{target.label}: {len(urls)} webhook registrations on its bridge")
        return urls[0]

    async def stop(self) -> None:
        """Stop Home Assistant, then the emulators."""
        try:
            if self.hass is not None:
                await self.hass.stop()
        finally:
            for target in self.targets.values():
                await target.bridge.stop()
