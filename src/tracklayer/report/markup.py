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
    "REPORT_CSS",
    "Cell",
    "CellLike",
    "esc",
    "figure",
    "figure_png",
    "fmt",
    "html_table",
    "note",
    "page",
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


#: The style sheet of every report page (the run report, the sweep summary).
REPORT_CSS = """
:root { --ink:#1d2430; --muted:#5b6576; --line:#d9dee7; --accent:#2f5d9a; --joint:#eaf1fb;
        --fused:#f4eefa; --bg:#ffffff; --panel:#f6f8fb; }
* { box-sizing: border-box; }
body { margin:0; color:var(--ink); background:var(--bg);
       font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans",
       "DejaVu Sans", Arial, sans-serif; }
header { background:#1f3556; color:#fff; padding:28px 40px 22px; }
header h1 { margin:0 0 4px; font-size:26px; font-weight:600; }
header .kicker { text-transform:uppercase; letter-spacing:.08em; font-size:12px; opacity:.75; }
header .lead { margin:8px 0 6px; max-width:900px; opacity:.92; }
header .facts { font-size:13px; opacity:.8; }
nav { position:sticky; top:0; z-index:2; background:#fff; border-bottom:1px solid var(--line);
      padding:8px 40px; display:flex; flex-wrap:wrap; gap:6px 18px; font-size:14px; }
nav a { color:var(--accent); text-decoration:none; }
nav a:hover { text-decoration:underline; }
main { max-width:1280px; margin:0 auto; padding:8px 40px 40px; }
section { padding-top:18px; border-bottom:1px solid var(--line); padding-bottom:18px; }
h2 { font-size:21px; margin:10px 0 12px; color:#1f3556; }
h3 { font-size:16px; margin:18px 0 8px; color:var(--muted); font-weight:600; }
.cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(190px, 1fr)); gap:12px; }
.card { background:var(--panel); border:1px solid var(--line); border-radius:8px;
        padding:12px 16px; }
.card .big { font-size:26px; font-weight:650; color:#1f3556; font-variant-numeric:tabular-nums; }
.card .what { font-size:13px; text-transform:uppercase; letter-spacing:.05em; color:var(--muted); }
.card .detail { font-size:13px; color:var(--muted); }
ul.findings { margin:14px 0 0; padding-left:20px; }
ul.findings li { margin:3px 0; }
.table-wrap { overflow-x:auto; margin:8px 0 14px; }
table { border-collapse:collapse; font-size:13px; font-variant-numeric:tabular-nums; }
caption { caption-side:top; text-align:left; color:var(--muted); font-size:13px;
          padding:0 0 6px; }
th, td { padding:4px 10px; border-bottom:1px solid var(--line); text-align:left;
         white-space:nowrap; }
th { background:var(--panel); font-weight:600; white-space:normal; vertical-align:bottom;
     max-width:130px; }
th.group { text-align:center; border-left:1px solid var(--line); max-width:none; }
.num { text-align:right; }
tbody tr:nth-child(even) { background:#fbfcfe; }
tr.joint { background:var(--joint) !important; }
tr.joint td:first-child, tr.fused td:first-child { font-weight:700; }
tr.fused { background:var(--fused) !important; }
td.best { font-weight:700; color:#0b5d2a; }
td.strong { font-weight:600; }
figure { margin:14px 0 22px; }
.grid2 { display:grid; grid-template-columns:repeat(auto-fit, minmax(520px, 1fr)); gap:0 18px; }
.grid2 figure { margin:8px 0 14px; }
figure img { display:block; max-width:100%; height:auto; border:1px solid var(--line);
             border-radius:4px; background:#fff; }
figcaption { color:var(--muted); font-size:13px; margin-top:6px; max-width:1000px; }
p.note { color:var(--muted); font-size:13px; max-width:1000px; }
footer { max-width:1280px; margin:0 auto; padding:16px 40px 40px; color:var(--muted);
         font-size:12px; }
@media print { nav { display:none; } section { break-inside:avoid-page; } }
"""


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tracklayer {version}">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<header>
<div class="kicker">{kicker}</div>
<h1>{title}</h1>
{lead}
<div class="facts">{facts}</div>
</header>
<nav>{nav}</nav>
<main>
{body}
</main>
<footer>{footer}
Every figure and style is embedded in this file; opening it fetches nothing.</footer>
</body>
</html>
"""


def page(
    *,
    title: str,
    kicker: str,
    lead: str,
    facts: str,
    sections: Sequence[tuple[str, str, str]],
    footer: str,
    version: str,
) -> str:
    """A whole self-contained report page.

    ``title``, ``kicker`` and ``facts`` are plain text (escaped here); ``lead`` and
    ``footer`` are HTML; ``sections`` are (anchor, heading, HTML body), the empty ones
    left out of the page and its navigation.
    """
    present = [(a, n, b) for a, n, b in sections if b]
    return _PAGE.format(
        title=esc(title),
        kicker=esc(kicker),
        lead=lead,
        facts=esc(facts),
        nav="".join(f'<a href="#{a}">{esc(n)}</a>' for a, n, _ in present),
        body="\n".join(
            f'<section id="{a}">\n<h2>{esc(n)}</h2>\n{b}\n</section>' for a, n, b in present
        ),
        footer=footer,
        version=esc(version),
        css=REPORT_CSS,
    )
