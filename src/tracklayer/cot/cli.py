"""The ``tracklayer cot`` command: a partner's live picture forwarded to a TAK server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from tracklayer.errors import TracklayerError

if TYPE_CHECKING:
    from tracklayer.cot.gateway import GatewayCounts

__all__ = ["cot", "register"]

_err = Console(stderr=True)


def cot(
    server: Annotated[str, typer.Option(help="The picture service, http://host:port")],
    token: Annotated[
        str,
        typer.Option(
            help="The partner's token (or the TRACKLAYER_TOKEN environment variable)",
            envvar="TRACKLAYER_TOKEN",
            show_envvar=False,
        ),
    ],
    tak: Annotated[
        str,
        typer.Option(
            help="The TAK server: tcp://host:port, tls://host:port (PYTAK_TLS_* settings "
            "from the environment) or udp://host:port"
        ),
    ],
    protobuf: Annotated[
        bool,
        typer.Option(
            "--protobuf/--xml",
            help="TAK protocol version 1 (negotiated with a TCP/TLS server: XML until it "
            "agrees, XML throughout if it never offers; mesh frames over UDP) or CoT XML",
        ),
    ] = False,
    stale_s: Annotated[
        float,
        typer.Option(help="Seconds after a state's time when its event goes stale", min=0.001),
    ] = 60.0,
    forward: Annotated[str, typer.Option(help="Tracks forwarded: all, national or system")] = "all",
    once: Annotated[
        bool, typer.Option("--once", help="Stop when the stream ends instead of reconnecting")
    ] = False,
) -> None:
    """Forward a partner's live picture to a TAK server as Cursor-on-Target events."""
    import asyncio

    from tracklayer.cot.gateway import GatewayRefused, run_gateway
    from tracklayer.cot.picture import CotPicture

    if forward not in ("all", "national", "system"):
        raise TracklayerError(f"--forward: {forward!r} is not one of all, national, system")
    if "://" not in tak or tak.split("://", 1)[0] not in ("tcp", "tls", "ssl", "udp"):
        raise TracklayerError(f"--tak: {tak!r} is not tcp://, tls:// or udp://HOST:PORT")
    picture = CotPicture(stale_s=stale_s, forward=forward)  # type: ignore[arg-type]
    _err.print(f"forwarding {forward} tracks from {server} to {tak}")
    said: list[str] = []

    def say_protocol(counts: GatewayCounts) -> None:
        if not said or counts.protocol != said[-1]:
            said.append(counts.protocol)
            _err.print(f"TAK protocol: {_protocol_text(counts)}", highlight=False)

    try:
        counts = asyncio.run(
            run_gateway(
                server,
                token,
                tak,
                protobuf=protobuf,
                picture=picture,
                reconnect=not once,
                on_update=say_protocol,
            )
        )
    except GatewayRefused as exc:
        raise TracklayerError(str(exc)) from None
    except OSError as exc:
        _err.print(f"[bold red]error:[/] TAK server {tak}: {exc}", highlight=False)
        raise typer.Exit(1) from None
    typer.echo(
        f"{counts.events} events sent from {counts.updates} updates "
        f"({counts.subscriptions} subscriptions) as {_protocol_text(counts)}"
    )


def _protocol_text(counts: GatewayCounts) -> str:
    """What the TAK connection spoke, in words."""
    offer = (
        f"the server offered version(s) {', '.join(map(str, counts.offered))}"
        if counts.offered
        else "the server offered no TAK protocol version"
    )
    texts = {
        "protobuf": "TAK protocol version 1 (protobuf)",
        "requested": f"CoT XML, version 1 requested and not yet answered ({offer})",
        "xml": f"CoT XML ({offer})",
    }
    return texts.get(counts.protocol, counts.protocol)


def register(app: typer.Typer) -> None:
    """Add ``cot`` to the ``tracklayer`` command."""
    app.command("cot")(cot)
