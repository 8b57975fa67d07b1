"""HTML pieces of the reports: escaped text, numbers, tables and embedded PNG figures.

Every value taken from a table or a scenario goes through :func:`esc`; figures are
embedded as base64 PNG data URIs so that a page names no remote resource.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = [
    "Cell",
    "CellLike",
    "esc",
    "figure",
    "figure_png",
    "fmt",
    "html_table",
    "note",
    "png_uri",
]


@dataclass(frozen=True)
class Cell:
    text: str
    cls: str = ""


CellLike = str | Cell


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def fmt(value: float | int | None, digits: int = 1, scale: float = 1.0) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, int) and scale == 1.0:
        return f"{value:,}"
    return f"{value * scale:,.{digits}f}"


def html_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[CellLike]],
    *,
    text_columns: int = 1,
    groups: Sequence[tuple[str, int]] = (),
    row_classes: Sequence[str] | None = None,
    caption: str = "",
) -> str:
    """An HTML table; columns after the first ``text_columns`` are right-aligned numbers."""
    head = ""
    if groups:
        head += "<tr>" + "".join(
            f'<th colspan="{span}" class="group">{esc(name)}</th>' for name, span in groups
        )
        head += "</tr>"
    head += "<tr>" + "".join(
        f'<th class="{"num" if i >= text_columns else ""}">{esc(h)}</th>'
        for i, h in enumerate(headers)
    )
    head += "</tr>"
    body = []
    for r, row in enumerate(rows):
        cells = []
        for i, cell in enumerate(row):
            c = cell if isinstance(cell, Cell) else Cell(cell)
            cls = " ".join(x for x in ("num" if i >= text_columns else "", c.cls) if x)
            cells.append(
                f'<td class="{cls}">{esc(c.text)}</td>' if cls else f"<td>{esc(c.text)}</td>"
            )
        row_cls = row_classes[r] if row_classes is not None and r < len(row_classes) else ""
        body.append(
            f'<tr class="{row_cls}">' + "".join(cells) + "</tr>"
            if row_cls
            else "<tr>" + "".join(cells) + "</tr>"
        )
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<div class="table-wrap"><table>{cap}<thead>{head}</thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    buffer = io.BytesIO()
    # No "Software" text chunk: the page names no URL, not even inside an image.
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def figure(png: bytes, *, alt: str, caption: str, wide: bool = True) -> str:
    cls = "fig wide" if wide else "fig"
    return (
        f'<figure class="{cls}"><img src="{png_uri(png)}" alt="{esc(alt)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'
