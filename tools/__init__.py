"""Tools that run a real Home Assistant with this integration: harness, demo, end-to-end scenario.

Nothing here is shipped; it is imported from the repository root (``PYTHONPATH=.``).
Every real Home Assistant process runs in a private network namespace (see `tools.netns`).
"""
