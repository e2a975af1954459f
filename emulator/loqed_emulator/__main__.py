"""``python -m loqed_emulator``: run an emulated LOQED bridge until SIGINT/SIGTERM."""

from loqed_emulator.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
