"""The end of a sweep's local cluster prints no worker-killing noise."""

from __future__ import annotations

import logging

import pytest

from tracklayer.sweep.runner import _quiet_worker_shutdown


def test_the_nannys_kill_warning_is_dropped_while_closing_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Reference: the nanny's message as distributed 2024+ writes it
    (``nanny.py``: "Worker process still alive after 4.0 seconds, killing"); other nanny
    warnings pass, and the filter is gone after the cluster closes."""
    nanny = logging.getLogger("distributed.nanny")
    noise = "Worker process still alive after %.1f seconds, killing"
    with caplog.at_level(logging.WARNING, logger="distributed.nanny"):
        with _quiet_worker_shutdown():
            nanny.warning(noise, 4.0)
            nanny.warning("Restarting worker")
        nanny.warning(noise, 4.0)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "Restarting worker",
        "Worker process still alive after 4.0 seconds, killing",
    ]
    assert not nanny.filters
