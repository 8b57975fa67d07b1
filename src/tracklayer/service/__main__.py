"""``python -m tracklayer.service``: the service's commands without the rest of the CLI."""

from __future__ import annotations

import sys

import typer

from tracklayer.errors import TracklayerError
from tracklayer.service.cli import register

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
register(app)


def main() -> None:
    """Run the commands, turning input errors into a message and exit code 2."""
    try:
        app()
    except TracklayerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
