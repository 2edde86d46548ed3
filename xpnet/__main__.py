"""``python -m xpnet ...``: the same as the ``xpnet`` console command."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
