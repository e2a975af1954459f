"""The benchmark's pure analysis: which samples lost a pause to a collection, and the order."""

from __future__ import annotations

import itertools

from benchmarks.latency import in_turn
from benchmarks.probe import Collections, ProbeRecord

MS = 1_000_000


def collection(start_ms: float, duration_ms: float, generation: int = 0) -> ProbeRecord:
    return ProbeRecord(
        int(start_ms * MS), "gc", f"gen{generation}", str(int(duration_ms * MS)), None
    )


def state(at_ms: float) -> ProbeRecord:
    return ProbeRecord(int(at_ms * MS), "state", "lock.front_door", "locked", None)


def window(collections: Collections, start_ms: float, end_ms: float) -> bool:
    return collections.inside(int(start_ms * MS), int(end_ms * MS))


def test_a_collection_inside_overlapping_or_around_a_sample_counts() -> None:
    collections = Collections([collection(10, 1), collection(20, 5), state(11)])
    assert window(collections, 9, 12)  # wholly inside
    assert window(collections, 10.5, 12)  # began before the sample, still running in it
    assert window(collections, 9, 10.5)  # began in the sample, ran on after it
    assert window(collections, 21, 22)  # the sample lies inside a long one


def test_collections_before_or_after_a_sample_do_not_count() -> None:
    collections = Collections([collection(10, 1), collection(20, 5)])
    assert not window(collections, 11.5, 19.5)
    assert not window(collections, 0, 9.9)
    assert not window(collections, 25.5, 40)
    assert not Collections([state(5)]).inside(0, 10 * MS)  # only gc records are collections


def test_records_out_of_order_are_sorted() -> None:
    collections = Collections([collection(30, 1), collection(10, 1)])
    assert window(collections, 9.5, 10.5)
    assert window(collections, 29.5, 30.5)
    assert not window(collections, 15, 25)


def test_in_turn_gives_every_order_once_per_cycle() -> None:
    names = ("ours", "builtin", "limit")
    cycle = [tuple(in_turn(names, index)) for index in range(6)]
    assert sorted(cycle) == sorted(itertools.permutations(names))
    assert in_turn(names, 6) == in_turn(names, 0)
    # Each one comes right after each other one equally often over a cycle.
    pairs = [pair for order in cycle for pair in itertools.pairwise(order)]
    assert all(pairs.count(pair) == 2 for pair in itertools.permutations(names, 2))


def test_split_counts_the_disturbed_samples_and_summarises_the_others() -> None:
    collections = Collections([collection(10, 1)])
    spans = [(int(9 * MS), int(12 * MS)), (int(1 * MS), int(2 * MS)), (int(3 * MS), int(5 * MS))]
    split = collections.split(spans)
    assert split["with_collection"] == 1
    assert split["without_collection_ms"]["n"] == 2
    assert split["without_collection_ms"]["max"] == 2.0
