"""``python -m tracklayer``: the ``tracklayer`` command."""

from tracklayer.cli import main

main()
