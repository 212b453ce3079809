"""Charts for a paper: code frequencies (horizontal bars in codebook order and code colours),
a matrix as a heat map, co-occurrence as a heat map. PNG (300 dpi) or SVG, 160 mm wide (an A4
page's text width). matplotlib is imported inside the functions (Agg canvas, no pyplot), so
importing this module costs nothing."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import Any

from workbench.analysis.cooccurrence import Cooccurrence
from workbench.analysis.matrix import COUNT_TITLES, Matrix, describe_filters
from workbench.errors import WorkbenchError

WIDTH_IN = 6.3  # 160 mm
DPI = 300
DEFAULT_COLOR = "#4e79a7"
FONT = 8.0
INDENT_IN = 0.14
CHAR_IN = 0.062  # average width of a character at 8 pt, for fitting labels


def chart_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise WorkbenchError(f"{path}: -o takes a .png or .svg file")
    return suffix[1:]


def shorten(text: str, width: int) -> str:
    """One line of at most `width` characters, cut at a word with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = (
        text[: max(1, width - 1)].rsplit(" ", 1)[0]
        if " " in text[: width - 1]
        else text[: width - 1]
    )
    return cut.rstrip(" ,;:-") + "…"


def wrap_label(text: str, width: int, lines: int = 2) -> str:
    """At most `lines` lines of `width` characters; the last one shortened if need be."""
    parts = textwrap.wrap(" ".join(text.split()), width) or [""]
    if len(parts) > lines:
        parts = [*parts[: lines - 1], shorten(" ".join(parts[lines - 1 :]), width)]
    return "\n".join(parts)


def _color(value: str | None) -> str:
    from matplotlib.colors import is_color_like

    return value if value and is_color_like(value) else DEFAULT_COLOR


def _rc() -> dict[str, Any]:
    return {
        "font.size": FONT,
        "font.family": "DejaVu Sans",
        "axes.titlesize": FONT + 2,
        "axes.labelsize": FONT + 1,
        "svg.hashsalt": "workbench",
        "svg.fonttype": "path",
    }


def _render(fig: Any, fmt: str) -> bytes:
    buf = io.BytesIO()
    meta = {"Date": None} if fmt == "svg" else {"Software": "workbench"}
    fig.savefig(buf, format=fmt, dpi=DPI, metadata=meta)
    return buf.getvalue()


def _subtitle(filters_text: str) -> str:
    return f"({filters_text})" if filters_text else ""


def text_width(text: str, *, bold: bool = False, size: float = FONT) -> float:
    """The rendered width of `text` in inches (DejaVu Sans, the font the charts use)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    prop = FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal", size=size)
    return float(TextPath((0, 0), text or " ", prop=prop).get_extents().width) / 72


def fit(text: str, width_in: float, *, bold: bool = False, size: float = FONT) -> str:
    """`text` on one line, shortened at a word (with an ellipsis) until it fits `width_in`."""
    text = " ".join(text.split())
    if text_width(text, bold=bold, size=size) <= width_in:
        return text
    n = len(text)
    while n > 4:
        n -= 2
        short = shorten(text, n)
        if text_width(short, bold=bold, size=size) <= width_in:
            return short
    return shorten(text, 4)


def _label_column(
    labels: list[str], depths: list[int], max_in: float = 2.6, size: float = FONT
) -> float:
    """Width (inches) of the label column: the longest label, at most `max_in`."""
    bold = any(depths)
    indent = INDENT_IN * size / FONT
    widths = [
        text_width(lbl, bold=bold and d == 0, size=size) + d * indent
        for lbl, d in zip(labels, depths, strict=True)
    ]
    return min(max_in, max([0.5, *widths]) + 0.05)


def _draw_row_labels(
    fig: Any,
    ax: Any,
    labels: list[str],
    depths: list[int],
    left_in: float,
    width_in: float,
    size: float = FONT,
) -> None:
    """Row labels left-aligned in a column left of the axes, children indented, top codes bold."""
    from matplotlib.transforms import blended_transform_factory

    trans = blended_transform_factory(fig.transFigure, ax.transData)
    width = fig.get_figwidth()
    hierarchy = any(depths)
    indent = INDENT_IN * size / FONT
    for y, (label, depth) in enumerate(zip(labels, depths, strict=True)):
        bold = hierarchy and depth == 0
        room = max(0.3, width_in - depth * indent)
        ax.text(
            (left_in + depth * indent) / width,
            y,
            fit(label, room, bold=bold, size=size),
            transform=trans,
            ha="left",
            va="center",
            fontsize=size,
            fontweight="bold" if bold else "normal",
            clip_on=False,
        )
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels([])
    ax.tick_params(axis="y", length=0)


def _figure(height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def frequency_chart(m: Matrix, fmt: str, *, title: str | None = None) -> bytes:
    """One horizontal bar per row (codes in codebook order, in their colours)."""
    import matplotlib

    values = [row[0] for row in m.cells]
    labels = m.row_labels
    depths = [r.depth for r in m.rows]
    if not labels:
        raise WorkbenchError("nothing to chart: no codes (or rows) match")
    with matplotlib.rc_context(_rc()):
        row_h = 0.2
        sub = _subtitle(describe_filters(m.filters))
        top, bottom = (0.75 if sub else 0.5), 0.55
        height = top + bottom + row_h * len(labels)
        fig = _figure(height)
        label_w = _label_column(labels, depths)
        left = 0.1 + label_w
        right = 0.35
        ax = fig.add_axes(
            (
                left / WIDTH_IN,
                bottom / height,
                (WIDTH_IN - left - right) / WIDTH_IN,
                row_h * len(labels) / height,
            )
        )
        colors = [_color(r.color) for r in m.rows]
        ax.barh(range(len(values)), values, color=colors, height=0.75, edgecolor="none")
        ax.set_ylim(len(values) - 0.5, -0.5)
        peak = max(values) if values else 0
        ax.set_xlim(0, (peak or 1) * 1.12)
        for y, v in enumerate(values):
            ax.text(v + (peak or 1) * 0.01, y, str(v), va="center", ha="left", fontsize=FONT - 1)
        _draw_row_labels(fig, ax, labels, depths, 0.1, label_w)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel(COUNT_TITLES[m.count])
        ax.xaxis.get_major_locator().set_params(integer=True)
        fig.suptitle(
            title or m.title(),
            x=0.1 / WIDTH_IN,
            ha="left",
            y=1 - 0.12 / height,
            fontsize=FONT + 2,
            fontweight="bold",
        )
        if sub:
            fig.text(0.1 / WIDTH_IN, 1 - 0.42 / height, sub, fontsize=FONT, color="#555555")
        return _render(fig, fmt)


def _heatmap(
    values: list[list[float]],
    annotations: list[list[str]],
    row_labels: list[str],
    depths: list[int],
    col_labels: list[str],
    fmt: str,
    *,
    title: str,
    subtitle: str,
    xlabel: str,
    ylabel: str,
    bar_label: str,
    square: bool = False,
    mask_diagonal: bool = False,
) -> bytes:
    import matplotlib
    import numpy as np

    n_rows, n_cols = len(row_labels), len(col_labels)
    if not n_rows or not n_cols:
        raise WorkbenchError("nothing to chart: the table is empty")
    with matplotlib.rc_context(_rc()):
        row_font = FONT
        for _ in range(2):  # small cells: smaller row labels, which leave more room for cells
            label_w = _label_column(row_labels, depths, 2.3, row_font)
            left = 0.1 + label_w + 0.1
            right = 0.9  # colour bar
            cell_w = min(0.75, (WIDTH_IN - left - right) / n_cols)
            cell_h = cell_w if square else min(0.3, max(0.16, cell_w * 0.6))
            row_font = min(FONT, max(3.5, cell_h * 72 * 0.8))
        col_font = min(FONT, max(3.5, cell_w * 72 * 0.8))
        col_chars = max(4, int(cell_w / CHAR_IN) - 1)
        words_fit = all(
            text_width(w, size=col_font) <= cell_w - 0.05 for c in col_labels for w in c.split()
        )
        rotate = not words_fit or any(len(textwrap.wrap(c, col_chars)) > 2 for c in col_labels)
        angle = 0 if not rotate else (90 if cell_w * 72 < FONT * 1.5 else 60)
        if rotate:
            xlab_lines = [fit(c, 1.8, size=col_font) for c in col_labels]
            longest = max(text_width(x, size=col_font) for x in xlab_lines)
            bottom = 0.5 + longest * (1.0 if angle == 90 else 0.87)
        else:
            xlab_lines = [wrap_label(c, col_chars) for c in col_labels]
            bottom = 0.8
        top = 0.75
        plot_h = cell_h * n_rows
        height = top + plot_h + bottom
        fig = _figure(height)
        ax = fig.add_axes(
            (left / WIDTH_IN, bottom / height, cell_w * n_cols / WIDTH_IN, plot_h / height)
        )
        data = np.array(values, dtype=float)
        shown = np.ma.masked_array(data, mask=np.zeros_like(data, dtype=bool))
        if mask_diagonal:
            for i in range(min(n_rows, n_cols)):
                shown.mask[i, i] = True
        cmap = matplotlib.colormaps["Blues"].with_extremes(bad="#e6e6e6")
        vmax = float(shown.max()) if shown.count() else 1.0
        image = ax.imshow(shown, cmap=cmap, aspect="auto", vmin=0, vmax=vmax or 1.0)
        font = max(4.0, min(FONT, cell_h * 72 * 0.45, cell_w * 72 / 4.5))
        if font >= 4.0 and n_rows * n_cols <= 900:
            for i in range(n_rows):
                for j in range(n_cols):
                    dark = not shown.mask[i, j] and data[i, j] > 0.6 * (vmax or 1)
                    ax.text(
                        j,
                        i,
                        annotations[i][j],
                        ha="center",
                        va="center",
                        fontsize=font,
                        color="white" if dark else "#222222",
                        style="italic" if shown.mask[i, j] else "normal",
                    )
        ax.set_xticks(range(n_cols))
        ax.set_xticklabels(
            xlab_lines,
            fontsize=col_font,
            rotation=angle,
            ha="right" if angle else "center",
            va="center" if angle == 90 else "top",
            rotation_mode="anchor",
        )
        ax.tick_params(axis="x", length=0)
        _draw_row_labels(fig, ax, row_labels, depths, 0.1, label_w, row_font)
        ax.set_xlabel(xlabel)
        for side in ax.spines.values():
            side.set_visible(False)
        cax = fig.add_axes(
            (
                (left + cell_w * n_cols + 0.2) / WIDTH_IN,
                (bottom + plot_h - min(plot_h, 2.5)) / height,
                0.12 / WIDTH_IN,
                min(plot_h, 2.5) / height,
            )
        )
        bar = fig.colorbar(image, cax=cax)
        bar.set_label(bar_label)
        fig.suptitle(
            title,
            x=0.1 / WIDTH_IN,
            ha="left",
            y=1 - 0.12 / height,
            fontsize=FONT + 2,
            fontweight="bold",
        )
        fig.text(
            0.1 / WIDTH_IN,
            1 - 0.42 / height,
            f"{'Rows: ' + ylabel if ylabel else ''}  {subtitle}".strip(),
            fontsize=FONT,
            color="#555555",
        )
        return _render(fig, fmt)


def matrix_chart(
    m: Matrix, fmt: str, *, percent: str | None = None, title: str | None = None
) -> bytes:
    """The matrix as a heat map, numbers in the cells (percentages if asked)."""
    if m.col_dim is None:
        return frequency_chart(m, fmt, title=title)
    values: list[list[float]]
    if percent:
        values = m.percentages(percent)
        notes = [[f"{v:.0f}%" for v in row] for row in values]
        bar = f"% of {'row' if percent == 'row' else 'column'} total"
    else:
        values = [[float(v) for v in row] for row in m.cells]
        notes = [[str(v) for v in row] for row in m.cells]
        bar = COUNT_TITLES[m.count]
    return _heatmap(
        values,
        notes,
        m.row_labels,
        [r.depth for r in m.rows],
        m.col_labels,
        fmt,
        title=title or m.title(),
        subtitle=_subtitle(describe_filters(m.filters)),
        xlabel=m.col_dim.title,
        ylabel=m.row_dim.title,
        bar_label=bar,
    )


def cooccurrence_chart(
    c: Cooccurrence, fmt: str, *, jaccard: bool = False, title: str | None = None
) -> bytes:
    """Co-occurrence as a square heat map; the diagonal (each code's own count) in grey."""
    values = c.jaccard if jaccard else [[float(v) for v in row] for row in c.cells]
    notes = (
        [[f"{v:.2f}".lstrip("0") if v else "0" for v in row] for row in values]
        if jaccard
        else [[str(v) for v in row] for row in c.cells]
    )
    if jaccard:
        for i, row in enumerate(notes):
            row[i] = str(c.cells[i][i])
    return _heatmap(
        values,
        notes,
        c.names,
        [sc.depth for sc in c.codes],
        c.names,
        fmt,
        title=title or c.title(),
        subtitle=_subtitle(describe_filters(c.filters)),
        xlabel="",
        ylabel="",
        bar_label="Jaccard index" if jaccard else f"{c.unit}s coded with both",
        square=True,
        mask_diagonal=True,
    )
