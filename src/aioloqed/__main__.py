"""``python -m aioloqed``: the ``aioloqed`` command."""

from aioloqed._cli import main

if __name__ == "__main__":
    main()
