"""The self-contained HTML report of a comparison: tables, plots as embedded PNGs, no outside files."""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
from typing import TYPE_CHECKING, Sequence

from anytok.scoring import plots
from anytok.scoring.markdown import Column, compression_columns, fmt_num, parallel_columns, quality_columns
from anytok.scoring.scorecard import Scorecard

if TYPE_CHECKING:
    from anytok.scoring.compare import Comparison

CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:1180px;margin:0 auto;padding:28px 32px 60px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 8px;border-bottom:2px solid #e3e6ea;padding-bottom:4px}
.meta{color:#5b6472;font-size:13px;margin-bottom:10px}
.card{background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:14px 16px;margin:10px 0;overflow-x:auto}
table{border-collapse:collapse;font-size:13px;width:100%}
th,td{padding:6px 9px;border-bottom:1px solid #eef0f3;text-align:right}
td{white-space:nowrap;font-variant-numeric:tabular-nums}
th{background:#fafbfc;font-weight:600;color:#39414f;vertical-align:bottom;max-width:110px;line-height:1.25}
td:first-child,th:first-child{text-align:left}
td.best{background:#e3f4e6;font-weight:700;color:#17612a}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:7px;vertical-align:0}
img{max-width:100%;height:auto;display:block;margin:0 auto}
.note{color:#5b6472;font-size:12.5px;line-height:1.5}
details summary{cursor:pointer;color:#2f5f9e;font-size:13px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;font-size:12.5px;color:#39414f}dt{font-weight:600}
"""

_GLOSSARY = [
    ("bytes/token", "UTF-8 bytes per token; higher means shorter sequences."),
    ("NSL", "normalized sequence length: tokens / tokens of the reference (Dagan et al. 2024); below 1 is shorter."),
    ("fertility", "tokens per whitespace-separated word; continued words: share split into 2+ tokens (Rust et al. 2021)."),
    ("Rényi eff.", "H_2.5(p) / log |V| of the unigram token distribution (Zouhar et al. 2023)."),
    ("vocab used", "distinct token ids seen in the text / vocabulary size."),
    ("superword", "token with whitespace inside (\" of the\"): share of text tokens and of vocabulary entries."),
    ("unreachable", "tokens t with encode(decode([t])) ≠ [t] (specials and byte pieces skipped)."),
    ("segmentations/word", "mean number of ways to spell one of the 500 most frequent words (up to 24 bytes) "
                           "with vocabulary tokens, by dynamic programming: the non-unique encoding problem."),
    ("premium", "tokens(language) / tokens(English) on line-aligned translations (Petrov et al. 2023); Gini across languages."),
]


def _best(cards: Sequence[Scorecard], col: Column) -> set[int]:
    if col.higher_is_better is None or len(cards) < 2:
        return set()
    values = [col.value(c) for c in cards]
    valid = [v for v in values if isinstance(v, (int, float)) and not math.isnan(v)]
    if not valid:
        return set()
    target = col.text(max(valid) if col.higher_is_better else min(valid))
    return {k for k, v in enumerate(values) if col.text(v) == target}  # ties as shown count as ties


def html_table(cards: Sequence[Scorecard], columns: Sequence[Column]) -> str:
    """An HTML table, one row per tokenizer; the best value of each ranked column highlighted."""
    best = [_best(cards, c) for c in columns]
    head = "".join(f"<th>{html.escape(c.header)}</th>" for c in columns)
    rows = []
    for k, card in enumerate(cards):
        name = f'<span class="swatch" style="background:{plots.color(k)}"></span>{html.escape(card.tokenizer)}'
        cells = "".join(f'<td{" class=best" if k in b else ""}>{html.escape(c.text(c.value(card)))}</td>'
                        for c, b in zip(columns, best))
        rows.append(f"<tr><td>{name}</td>{cells}</tr>")
    return f'<table><thead><tr><th>tokenizer</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def img_card(png: bytes, alt: str) -> str:
    """A card holding the PNG, embedded as a data URI."""
    data = base64.b64encode(png).decode("ascii")
    return f'<div class="card"><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></div>'


def premium_table(cards: Sequence[Scorecard]) -> str:
    """Every language's premium for every tokenizer (inside a collapsed <details>)."""
    cards = [c for c in cards if c.parallel]
    langs = list(cards[0].parallel.premiums)  # type: ignore[union-attr]
    head = "".join(f"<th>{html.escape(c.tokenizer)}</th>" for c in cards)
    rows = "".join(f"<tr><td>{html.escape(lang)}</td>"
                   + "".join(f"<td>{fmt_num(c.parallel.premiums[lang], 2)}</td>" for c in cards)  # type: ignore[union-attr]
                   + "</tr>" for lang in langs)
    return (f'<details><summary>premium of every language</summary><table><thead><tr><th>language</th>{head}'
            f"</tr></thead><tbody>{rows}</tbody></table></details>")


def unreachable_table(cards: Sequence[Scorecard]) -> str:
    """Examples of unreachable tokens per tokenizer (inside a collapsed <details>), or ''."""
    rows = "".join(f"<tr><td>{html.escape(c.tokenizer)}</td><td>{c.unreachable_tokens:,}</td>"
                   f'<td style="text-align:left;font-family:monospace">{html.escape("  ".join(c.unreachable_examples))}</td></tr>'
                   for c in cards if c.unreachable_examples)
    if not rows:
        return ""
    return (f'<div class="card"><details><summary>examples of unreachable tokens</summary><table><thead><tr>'
            f'<th>tokenizer</th><th>unreachable</th><th style="text-align:left">first ones (bytes)</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></details></div>")


def section(title: str, body: str, note: str = "") -> str:
    """An <h2> section: title, an optional note, the body."""
    note_html = f'<p class="note">{note}</p>' if note else ""
    return f"<h2>{html.escape(title)}</h2>{note_html}{body}"


def render_report(comparison: "Comparison", *, title: str) -> str:
    """The whole report as one HTML string."""
    cards, domains = comparison.scorecards, comparison.domains
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sizes = ", ".join(f"{d} ({cards[0].domain(d).bytes / 1e6:.2f} MB)" for d in domains)
    if cards[0].parallel:
        par = cards[0].parallel
        sizes += f" · parallel: {len(par.premiums)} languages, {sum(par.bytes.values()) / 1e6:.2f} MB"
    parts = [f"<h1>{html.escape(title)}</h1>",
             f'<div class="meta">{len(cards)} tokenizers · domains: {html.escape(sizes)} · '
             f"reference for NSL: {html.escape(str(comparison.reference))} · generated {when} by anytok</div>",
             section("Compression", f'<div class="card">{html_table(cards, compression_columns(domains, comparison.reference))}</div>'
                      + img_card(plots.bytes_per_token_chart(cards, domains), "bytes per token by domain"),
                      "Best value per column in green.")]
    premium_png = plots.premium_chart(cards)
    if premium_png is not None:
        parts.append(section("Languages: token premium", f'<div class="card">{html_table(cards, parallel_columns())}</div>'
                              + img_card(premium_png, "token premium per language")
                              + f'<div class="card">{premium_table(cards)}</div>',
                              "Tokens needed for the same sentences as in English (1 = parity); languages sorted by "
                              "their mean premium over the tokenizers."))
    parts.append(section("Words, distribution and vocabulary",
                          f'<div class="card">{html_table(cards, quality_columns())}</div>{unreachable_table(cards)}',
                          "Over all domains together."))
    parts.append(section("Vocabulary: token lengths", img_card(plots.token_length_charts(cards), "token length histograms")))
    glossary = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in _GLOSSARY)
    parts.append(section("What the columns mean", f'<div class="card"><dl>{glossary}</dl></div>'))
    return html_page(title, parts)


def html_page(title: str, parts: Sequence[str]) -> str:
    """A whole self-contained HTML page of these sections, in the report's style."""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>'
            f'<body><main>{"".join(parts)}</main></body></html>\n')
