"""Secrets: after the run, look for keys, signed commands and webhook ids where they must not be.

Allowed places: Home Assistant's config entry store (``.storage/core.config_entries``) and the
emulator's Integration information file. Searched: every Home Assistant log of the run (before
and after restarts) and its stdout, every other file in ``.storage``, the diagnostics download
of each entry, and the emulator's view of the requests (its log and control API snapshots).
"""

from __future__ import annotations

from collections import Counter
import json
from typing import TYPE_CHECKING, Any, Final

from tools.hass_harness import HassApiError

from reliability.model import Outcome
from reliability.secrets_scan import Finding, scan

if TYPE_CHECKING:
    from pathlib import Path

    from reliability.context import Context

ALLOWED_STORAGE: Final = frozenset({"core.config_entries"})
SKIPPED_STORAGE: Final = frozenset({"auth", "auth_provider.homeassistant", "onboarding", "http"})
"""Home Assistant's own login and token stores: not ours, and they hold nothing of the bridge."""


async def collect_diagnostics(ctx: Context) -> list[Outcome]:
    """Download the diagnostics of every entry (before the removal scenario removes one)."""
    for entry in ctx.stack.entries:
        try:
            body = await ctx.stack.hass.get(f"/api/diagnostics/config_entry/{entry.entry_id}")
        except HassApiError as err:
            ctx.diagnostics[entry.title] = {"error": f"HTTP {err.status}"}
            continue
        ctx.diagnostics[entry.title] = {
            "text": json.dumps(body) if not isinstance(body, str) else body
        }
    return []


def storage_files(config_dir: Path) -> list[Path]:
    """Files in ``.storage`` to search."""
    storage = config_dir / ".storage"
    if not storage.is_dir():
        return []
    return sorted(
        p
        for p in storage.iterdir()
        if p.is_file() and p.name not in ALLOWED_STORAGE and p.name not in SKIPPED_STORAGE
    )


def texts_to_search(ctx: Context, snapshots: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    """Every (place, text) the secrets must not be in."""
    stack = ctx.stack
    places = list(stack.hass_logs())
    places.extend(
        (f".storage/{path.name}", path.read_text(encoding="utf-8", errors="replace"))
        for path in storage_files(stack.hass.config_dir)
    )
    for title, item in ctx.diagnostics.items():
        if "text" in item:
            places.append((f"diagnostics of {title}", item["text"]))
    for bridge in stack.bridges:
        for n, path in enumerate(bridge.log_paths(), start=1):
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            places.append((f"emulator log of bridge {bridge.name} (run {n})", text))
        for n, snapshot in enumerate(bridge.snapshots, start=1):
            places.append(
                (f"emulator control API of bridge {bridge.name} (view {n})", json.dumps(snapshot))
            )
    places.extend(
        (f"emulator control API of bridge {name} (live)", json.dumps(s)) for name, s in snapshots
    )
    return places


async def run(ctx: Context) -> list[Outcome]:
    """Scan everything; one row for logs and the emulator, one for the diagnostics download."""
    stack = ctx.stack
    secrets = stack.secrets()
    snapshots: list[tuple[str, Any]] = [
        (bridge.name, await bridge.snapshot()) for bridge in stack.bridges if bridge.process
    ]
    findings: list[Finding] = []
    places = texts_to_search(ctx, snapshots)
    for where, text in places:
        findings += scan(text, secrets, where)
    diagnostics_findings = [f for f in findings if f.where.startswith("diagnostics")]
    other = [f for f in findings if not f.where.startswith("diagnostics")]
    kinds = sorted({s.kind for s in secrets})
    place_kinds = ", ".join(sorted({_place_kind(w) for w, _ in places}))
    outcomes = [
        Outcome(
            key="secrets",
            scenario="Secrets",
            done=(
                f"searched {len(places)} places ({place_kinds}) for {len(secrets)} secrets "
                f"({', '.join(kinds)}, in Base64, URL-safe, percent-encoded and hex spellings) "
                "and for signed commands"
            ),
            expected="none found outside the config entry store and the emulator's info file",
            observed=(
                "none found"
                if not other
                else "found: " + "; ".join(f"{f.what} in {f.where} ({f.count}x)" for f in other[:6])
            ),
            passed=not other,
            details=[f.describe() for f in other],
            data={"places": [w for w, _ in places], "findings": [f.describe() for f in other]},
        )
    ]
    missing = {t: d["error"] for t, d in ctx.diagnostics.items() if "error" in d}
    failures = stack.diagnostics_failures
    downloaded = [t for t, d in ctx.diagnostics.items() if "text" in d]
    outcomes.append(
        Outcome(
            key="diagnostics",
            scenario="Diagnostics download",
            done=(
                f"downloaded the diagnostics of {len(ctx.diagnostics)} entry(ies) and searched them"
            ),
            expected=(
                "a diagnostics download exists for each entry and never fails, with no key, "
                "command or webhook id in it"
            ),
            observed=(
                (f"downloaded for {len(downloaded)}; " if downloaded else "")
                + (
                    "not available: " + ", ".join(f"{t}: {e}" for t, e in missing.items()) + "; "
                    if missing
                    else ""
                )
                + (
                    "secrets found: " + "; ".join(f.what for f in diagnostics_findings)
                    if diagnostics_findings
                    else "no secrets in what was downloaded"
                )
                + (
                    f"; {len(failures)} of the suite's downloads during the run failed "
                    f"({', '.join(sorted(set(failures)))})"
                    if failures
                    else ""
                )
            ),
            passed=(
                bool(ctx.diagnostics) and not missing and not diagnostics_findings and not failures
            ),
            details=[
                *(f.describe() for f in diagnostics_findings),
                *(
                    f"a download during the run failed {n} time(s): {failure}"
                    for failure, n in Counter(failures).most_common(5)
                ),
            ],
        )
    )
    return outcomes


def _place_kind(where: str) -> str:
    for prefix in (
        "home-assistant.log",
        "Home Assistant stdout",
        ".storage",
        "diagnostics",
        "emulator log",
        "emulator control",
    ):
        if where.startswith(prefix):
            return prefix
    return where
