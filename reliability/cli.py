"""``scripts/reliability`` / ``python -m reliability``: run the suite, write the report."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import shutil
import sys
import tempfile
from typing import TYPE_CHECKING, Final

from tools.netns import NetnsError, enter_private_netns, in_private_netns, loopback_ready

from reliability.context import Settings
from reliability.intervals import product_intervals
from reliability.report import read_intro, render, summary, table
from reliability.runner import run_suite
from reliability.scenarios import SCENARIOS, selected

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from reliability.runner import RunResult

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
DEFAULT_REPORT: Final = REPO_ROOT / "docs" / "reliability.md"
DEFAULT_RECONCILE: Final = 60.0
DEFAULT_HEALTHY_POLL: Final = 120.0
MINUTE: Final = 60.0


def whole_minutes(text: str) -> float:
    """Parse ``--healthy-poll-interval``: seconds, a whole number of minutes (0: the product's).

    The integration keeps this interval in whole minutes (it is an option in minutes), so any
    other value would not be the one in force.
    """
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if seconds < 0 or seconds % MINUTE:
        raise argparse.ArgumentTypeError(
            f"{text} s is not a whole number of minutes (the integration counts this interval "
            "in minutes)"
        )
    return seconds


def interval_overrides(
    *, reconcile: float, healthy_poll: float, product: Mapping[str, float]
) -> dict[str, float]:
    """Return the integration constants to set in Home Assistant for this run (0: keep).

    A healthy poll interval below the shortest one the options accept
    (``MIN_HEALTHY_POLL_MINUTES``) lowers that bound too: the options form shows the interval
    in force, and saving it (the replay scenario does, to set the callback URL) would otherwise
    be refused, or store a value the integration raises back to the bound. Raises ValueError for
    one above the longest the options accept.
    """
    overrides: dict[str, float] = {}
    if reconcile > 0:
        overrides["RECONCILE_INTERVAL"] = reconcile
    if healthy_poll > 0:
        longest = product.get("MAX_HEALTHY_POLL_MINUTES")
        if longest is not None and healthy_poll > longest * MINUTE:
            raise ValueError(
                f"--healthy-poll-interval {healthy_poll:g} s is longer than the integration "
                f"allows ({longest:g} min)"
            )
        overrides["HEALTHY_POLL_INTERVAL"] = healthy_poll
        shortest = product.get("MIN_HEALTHY_POLL_MINUTES")
        if shortest is not None and healthy_poll < shortest * MINUTE:
            overrides["MIN_HEALTHY_POLL_MINUTES"] = healthy_poll / MINUTE
    return overrides


def say(text: str) -> None:
    """Progress on stderr."""
    sys.stderr.write(f"reliability: {text}\n")
    sys.stderr.flush()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/reliability",
        description=(
            "Run the reliability and security suite against a real Home Assistant in a private "
            "network namespace, and write the report (docs/reliability.md for a full run)."
        ),
    )
    parser.add_argument("--quick", action="store_true", help="the CI subset (about 2 minutes)")
    parser.add_argument("--only", default="", help="comma-separated scenario keys (see --list)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument(
        "--report",
        type=Path,
        default=None,
        help="where to write the Markdown report (default: docs/reliability.md for a full run; "
        "a quick or partial run writes only into the work directory)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="work directory (default: temporary)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work directory (kept anyway on a failure)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the forged requests etc.")
    parser.add_argument(
        "--reconcile-interval",
        type=float,
        default=DEFAULT_RECONCILE,
        help=f"seconds between webhook checks in Home Assistant (default {DEFAULT_RECONCILE:g}; "
        "0 keeps the integration's own value)",
    )
    parser.add_argument(
        "--healthy-poll-interval",
        type=whole_minutes,
        default=DEFAULT_HEALTHY_POLL,
        help="seconds between status reads in Home Assistant while push looks healthy, a whole "
        f"number of minutes (default {DEFAULT_HEALTHY_POLL:g}; 0 keeps the integration's own "
        "value)",
    )
    return parser.parse_args(argv)


def table_text(result: RunResult) -> str:
    """Return the summary and the table, for the terminal."""
    return "\n".join([summary(result.outcomes), "", *table(result.outcomes, result.redact)])


def private_network() -> bool:
    """Move into a private network namespace unless already in one; say why not if impossible."""
    if in_private_netns() and loopback_ready():
        return True
    try:
        enter_private_netns()
    except NetnsError as err:
        say(str(err))
        return False
    return True


def write_outputs(
    args: argparse.Namespace, result: RunResult, workdir: Path, *, partial: bool
) -> list[Path]:
    """Write the report (and the JSON rows); return the report paths, work directory first."""
    report = render(result.info, result.outcomes, intro=read_intro(), redact=result.redact)
    targets = [workdir / "reliability.md"]
    if args.report is not None:
        targets.append(args.report)
    elif not args.quick and not partial:
        targets.append(DEFAULT_REPORT)
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(report, encoding="utf-8")
    rows = json.dumps(
        {"run": result.info.to_json(), "outcomes": [o.to_json() for o in result.outcomes]},
        indent=1,
        default=str,
    )
    for target in [workdir / "reliability.json", *([args.json] if args.json else [])]:
        target.write_text(result.redact(rows), encoding="utf-8")
    return targets


def main(argv: Sequence[str] | None = None) -> int:
    """Run; exit 0 when every row passed, 1 when one failed, 2 when the run was not possible."""
    args = parse_args(argv)
    if args.list:
        for scenario in SCENARIOS:
            sys.stdout.write(
                f"{scenario.key:<16} {'quick' if scenario.quick else 'full '}  {scenario.title}\n"
            )
        return 0
    only = {k.strip() for k in args.only.split(",") if k.strip()} or None
    try:
        scenarios = selected(quick=args.quick, only=only)
    except ValueError as err:
        say(str(err))
        return 2
    try:
        overrides = interval_overrides(
            reconcile=args.reconcile_interval,
            healthy_poll=args.healthy_poll_interval,
            product=product_intervals(),
        )
    except ValueError as err:
        say(str(err))
        return 2
    if not private_network():
        return 2
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="loqed-reliability-"))
    settings = Settings(quick=args.quick, seed=args.seed, workdir=workdir, overrides=overrides)
    result = asyncio.run(run_suite(settings, scenarios, say))
    if only:
        result.info.notes.append(f"Partial run: {', '.join(s.key for s in scenarios)}.")
    targets = write_outputs(args, result, workdir, partial=bool(only))
    sys.stdout.write(table_text(result) + "\n")
    passed = sum(o.passed for o in result.outcomes)
    written = ", ".join(str(t) for t in targets[1:])
    say(f"{passed} of {len(result.outcomes)} passed" + (f"; report: {written}" if written else ""))
    if args.keep or not result.passed:
        say(f"logs and report kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if result.passed else 1
