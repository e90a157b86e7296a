"""``python -m app`` is the same as the ``investochat`` command."""

from app.cli import main

main()
