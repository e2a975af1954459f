"""Summaries of samples: median, p95, p99, min, max, with the number of samples (pure)."""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

NS_PER_MS = 1_000_000


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the ``fraction`` quantile (0..1), linear between the closest ranks.

    The same definition as numpy's default: rank ``fraction * (n - 1)``, interpolated.
    """
    if not values:
        raise ValueError("no values")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must be 0..1")
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(values: Sequence[float], *, digits: int = 3) -> dict[str, Any]:
    """Return n, median, p95, p99, min, max and mean of ``values`` (empty: n = 0 only)."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "median": round(percentile(values, 0.5), digits),
        "p95": round(percentile(values, 0.95), digits),
        "p99": round(percentile(values, 0.99), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "mean": round(sum(values) / len(values), digits),
    }


def ns_to_ms(values: Sequence[int]) -> list[float]:
    """Nanosecond durations as milliseconds."""
    return [value / NS_PER_MS for value in values]


def ratio(numerator: float | None, denominator: float | None, *, digits: int = 2) -> float | None:
    """``numerator / denominator``, or None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return round(numerator / denominator, digits)


def difference_interval(
    ours: Sequence[float],
    other: Sequence[float],
    fraction: float,
    *,
    resamples: int = 2000,
    seed: int = 0,
    digits: int = 3,
) -> dict[str, float] | None:
    """The ``fraction`` quantile of ``ours`` minus that of ``other``, with a 95 % interval.

    A percentile bootstrap: both sample sets are drawn again with replacement ``resamples``
    times (seeded, so the same results give the same interval). An interval that contains 0 says
    that this run cannot tell the two apart at that quantile. None when either set is empty.
    """
    if not ours or not other:
        return None
    rng = random.Random(seed)
    differences = sorted(
        percentile(rng.choices(ours, k=len(ours)), fraction)
        - percentile(rng.choices(other, k=len(other)), fraction)
        for _ in range(resamples)
    )
    return {
        "difference": round(percentile(ours, fraction) - percentile(other, fraction), digits),
        "low": round(percentile(differences, 0.025), digits),
        "high": round(percentile(differences, 0.975), digits),
    }
