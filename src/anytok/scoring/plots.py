"""Plots of a comparison as PNG bytes (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import io
from typing import Sequence

import numpy as np

from anytok.scoring.scorecard import Scorecard

PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac"]


def figure(width: float, height: float):
    """A matplotlib Figure of that size in inches (no pyplot state)."""
    # A bare Figure renders through the Agg canvas and never touches pyplot's global backend.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def png_bytes(fig) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def style_axes(ax) -> None:
    """The house style of an axes: no top and right spines, light grid."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)


def color(index: int) -> str:
    """The colour of the tokenizer at ``index`` (the same in every plot and table)."""
    return PALETTE[index % len(PALETTE)]


def bytes_per_token_chart(cards: Sequence[Scorecard], domains: Sequence[str]) -> bytes:
    """Grouped bars: UTF-8 bytes per token of each tokenizer in each domain (higher = shorter)."""
    fig = figure(max(6.0, 1.2 + 0.55 * len(cards) * len(domains)), 3.6)
    ax = fig.add_subplot()
    width = 0.8 / len(cards)
    x = np.arange(len(domains))
    for k, card in enumerate(cards):
        values = [card.domain(d).bytes_per_token for d in domains]
        bars = ax.bar(x + (k - (len(cards) - 1) / 2) * width, values, width, label=card.tokenizer, color=color(k))
        ax.bar_label(bars, fmt="%.2f", fontsize=6.5, padding=1.5, rotation=90)
    ax.set_xticks(x, list(domains))
    ax.set_ylabel("bytes per token (higher = fewer tokens)")
    ax.margins(y=0.15)
    style_axes(ax)
    ax.legend(fontsize=8, ncols=min(4, len(cards)), frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    return png_bytes(fig)


def _premium_panel(ax, grid: np.ndarray, langs: Sequence[str], names: Sequence[str], norm) -> object:
    """One heatmap panel: rows = tokenizers, columns = languages, each cell labelled."""
    image = ax.imshow(grid, aspect="auto", cmap="RdYlGn_r", norm=norm)
    for (row, col), value in np.ndenumerate(grid):
        shade = norm(value)
        ax.text(col, row, f"{value:.1f}", ha="center", va="center", fontsize=6.5,
                color="white" if shade > 0.85 or shade < 0.1 else "#222")
    ax.set_xticks(np.arange(len(langs)), langs, fontsize=8, rotation=55, ha="left", rotation_mode="anchor")
    ax.xaxis.tick_top()
    ax.set_yticks(np.arange(len(names)), names, fontsize=8)
    ax.tick_params(length=0)
    ax.spines[:].set_visible(False)
    return image


def premium_chart(cards: Sequence[Scorecard], *, per_row: int = 32) -> bytes | None:
    """Heatmap of token premiums (tokens(L) / tokens(en)): tokenizers x languages, languages sorted
    by mean premium and wrapped into rows of ``per_row``; colour on a log scale from parity (green)
    to the worst (red)."""
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import FixedLocator, FuncFormatter

    cards = [c for c in cards if c.parallel]
    if not cards:
        return None
    langs = list(cards[0].parallel.premiums)  # type: ignore[union-attr]
    grid = np.array([[c.parallel.premiums[lang] for lang in langs] for c in cards])  # type: ignore[union-attr]
    order = np.argsort(grid.mean(axis=0), kind="stable")
    grid, langs = grid[:, order], [langs[k] for k in order]
    panels = -(-len(langs) // per_row)
    width = min(per_row, len(langs))
    fig = figure(max(6.0, 0.3 * width + 2.4), panels * (0.26 * len(cards) + 0.55) + 0.2)
    axes = np.atleast_1d(fig.subplots(panels, 1, squeeze=False)).ravel()
    norm = LogNorm(vmin=min(1.0, grid.min()), vmax=max(grid.max(), 1.01))
    names = [c.tokenizer for c in cards]
    for k, ax in enumerate(axes):
        cols = slice(k * per_row, (k + 1) * per_row)
        image = _premium_panel(ax, grid[:, cols], langs[cols], names, norm)
        ax.set_xlim(-0.5, width - 0.5)
    bar = fig.colorbar(image, ax=list(axes), fraction=0.02, pad=0.01)
    ticks = [t for t in (1, 1.5, 2, 3, 5, 8, 12, 20, 40) if norm.vmin <= t <= norm.vmax]
    bar.ax.yaxis.set_major_locator(FixedLocator(ticks))
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    bar.ax.yaxis.set_minor_locator(FixedLocator([]))
    bar.set_label("premium vs English", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return png_bytes(fig)


def token_length_charts(cards: Sequence[Scorecard]) -> bytes:
    """One small histogram per tokenizer: share of vocabulary entries by length in bytes (last bin: 16+)."""
    ncols = min(4, len(cards))
    nrows = -(-len(cards) // ncols)
    fig = figure(2.6 * ncols + 0.4, 2.1 * nrows + 0.3)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=True, squeeze=False)).ravel()
    for k, card in enumerate(cards):
        ax = axes[k]
        lengths = sorted(card.token_length_histogram)
        counts = np.array([card.token_length_histogram[n] for n in lengths], dtype=float)
        ax.bar(lengths, counts / max(counts.sum(), 1), color=color(k), width=0.85)
        ax.set_title(card.tokenizer, fontsize=9)
        ax.set_xticks([1, 4, 8, 12, 16], ["1", "4", "8", "12", "16+"], fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        style_axes(ax)
    for ax in axes[len(cards):]:
        ax.set_visible(False)
    fig.supxlabel("token length in bytes", fontsize=8)
    fig.supylabel("share of vocabulary", fontsize=8)
    return png_bytes(fig)
