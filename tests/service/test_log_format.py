"""JSON log lines carry no terminal colour codes."""

from __future__ import annotations

import json
import logging

import click

from tracklayer.service.logs import JsonFormatter


def test_uvicorn_style_coloured_records_are_written_plain() -> None:
    """Reference: uvicorn's start-up line, logged as uvicorn does (a plain message and a
    ``color_message`` extra styled by click), and a message with colour codes of its own:
    the JSON line holds no ESC byte, the plain text, and no ``color_message``."""
    styled = "Uvicorn running on " + click.style("%s://%s:%d", bold=True)
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, "Uvicorn running on %s://%s:%d",
        ("http", "127.0.0.1", 8000), None,
    )  # fmt: skip
    record.color_message = styled
    text = JsonFormatter().format(record)
    line = json.loads(text)
    assert "\x1b" not in text and "\\u001b" not in text
    assert line["message"] == "Uvicorn running on http://127.0.0.1:8000"
    assert "color_message" not in line
    coloured = logging.LogRecord(
        "x", logging.INFO, __file__, 1, click.style("ready", fg="green"), None, None
    )
    coloured.note = click.style("green", fg="green")
    line = json.loads(JsonFormatter().format(coloured))
    assert (line["message"], line["note"]) == ("ready", "green")
