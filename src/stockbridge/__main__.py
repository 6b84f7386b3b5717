"""``python -m stockbridge``: the same as the ``stockbridge`` command."""

from stockbridge.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
