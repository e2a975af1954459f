"""End-to-end reliability and security suite for the ``loqed_bridge`` integration.

A real Home Assistant process (in a private network namespace) with the integration and the
bridge emulator, driven through the emulator's fault switches and Home Assistant's REST and
websocket APIs. Every scenario records what it did and what it observed; `reliability.report`
turns those records into docs/reliability.md. Run it with ``scripts/reliability``.
"""
