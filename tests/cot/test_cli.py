"""``tracklayer cot``: bad options and a refused token end with a clear error."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner
from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus
from websockets.http11 import Response

from tracklayer.cli import app
from tracklayer.cot.gateway import _refusal
from tracklayer.errors import TracklayerError

BASE = ["cot", "--server", "http://127.0.0.1:9", "--token", "t"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tak", "http://127.0.0.1:8087"], "--tak"),
        (["--tak", "127.0.0.1:8087"], "--tak"),
        (["--tak", "tcp://127.0.0.1:8087", "--forward", "some"], "--forward"),
    ],
)
def test_bad_options_name_themselves(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, [*BASE, *args])
    assert isinstance(result.exception, TracklayerError)
    assert message in str(result.exception)


def test_a_refused_token_is_not_retried() -> None:
    for status in (401, 403):
        refused = InvalidStatus(Response(status, "refused", Headers()))
        assert _refusal(refused) == f"the service refused the token (HTTP {status})"
    assert _refusal(InvalidStatus(Response(503, "busy", Headers()))) is None
    assert _refusal(ConnectionRefusedError()) is None


def test_an_unreachable_tak_server_exits_1() -> None:
    from tests.service.server_helper import free_port

    result = CliRunner().invoke(app, [*BASE, "--tak", f"tcp://127.0.0.1:{free_port()}"])
    assert result.exit_code == 1
    assert "TAK server" in result.output
