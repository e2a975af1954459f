"""Benchmarks of the loqed_bridge integration beside Home Assistant's built-in ``loqed``.

Run with ``benchmarks/run``; method and results in docs/benchmarks.md.
"""
