"""Tables of scorecards: the column definitions shared by Markdown and HTML, and Markdown output."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

from anytok.scoring.scorecard import DomainScore, Scorecard


def fmt_num(value: float | int | None, digits: int = 3) -> str:
    """A number for a table cell: ints with thousands separators, floats to ``digits`` places."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def fmt_pct(value: float | None) -> str:
    """A share as a percentage with one decimal."""
    return "–" if value is None or math.isnan(value) else f"{100 * value:.1f}%"


@dataclass(frozen=True)
class Column:
    """One table column: header, the value of a scorecard, its text, and whether higher is better."""

    header: str
    value: Callable[[Scorecard], float | int | None]
    text: Callable[[float | int | None], str] = fmt_num
    higher_is_better: bool | None = None


def _domain_value(name: str, attr: str) -> Callable[[Scorecard], float | int | None]:
    return lambda card: getattr(card.domain(name), attr)


def compression_columns(domains: Sequence[str], reference: str | None) -> list[Column]:
    """Bytes per token in each domain and overall; the normalized sequence length with a reference."""
    cols = [Column("vocab", lambda c: c.vocab_size)]
    cols += [Column(f"bytes/token {d}", _domain_value(d, "bytes_per_token"), higher_is_better=True)
             for d in (*domains, "all")]
    cols.append(Column("chars/token all", _domain_value("all", "chars_per_token"), higher_is_better=True))
    if reference:
        cols.append(Column(f"NSL vs {reference}", _domain_value("all", "normalized_seq_len"), higher_is_better=False))
    return cols


def quality_columns() -> list[Column]:
    """Word-level, distributional and vocabulary-health metrics (over all domains)."""
    amb = lambda c: c.ambiguity.mean_segmentations if c.ambiguity else None  # noqa: E731
    return [
        Column("fertility", _domain_value("all", "fertility"), higher_is_better=False),
        Column("continued words", _domain_value("all", "continued_words"), fmt_pct, higher_is_better=False),
        Column("Rényi eff. (α=2.5)", _domain_value("all", "renyi_efficiency"), higher_is_better=True),
        Column("vocab used", _domain_value("all", "vocab_utilisation"), fmt_pct, higher_is_better=True),
        Column("superword tokens", _domain_value("all", "superword_token_share"), fmt_pct),
        Column("superword vocab", lambda c: c.superword_vocab_share, fmt_pct),
        Column("unreachable", lambda c: c.unreachable_tokens, higher_is_better=False),
        Column("non-UTF-8 tokens", lambda c: c.invalid_utf8_tokens),
        Column("round-trip fails", _domain_value("all", "round_trip_failures"), higher_is_better=False),
        Column("segmentations/word", amb, lambda v: fmt_num(v, 1)),
        Column("encode MB/s", _domain_value("all", "throughput_mb_s"), lambda v: fmt_num(v, 2), higher_is_better=True),
    ]


def parallel_columns() -> list[Column]:
    """Token premium summary over a parallel corpus."""
    par = lambda attr: (lambda c: getattr(c.parallel, attr) if c.parallel else None)  # noqa: E731
    return [
        Column("languages", lambda c: len(c.parallel.premiums) if c.parallel else None),
        Column("mean premium", par("mean_premium"), higher_is_better=False),
        Column("max premium", par("max_premium"), higher_is_better=False),
        Column("worst language", lambda c: c.parallel.max_language if c.parallel else None, str),  # type: ignore[arg-type]
        Column("Gini", par("gini"), higher_is_better=False),
        Column("parallel MB/s", par("throughput_mb_s"), lambda v: fmt_num(v, 2), higher_is_better=True),
    ]


def markdown_table(cards: Sequence[Scorecard], columns: Sequence[Column]) -> str:
    """A Markdown table: one row per scorecard, first column the tokenizer name."""
    lines = ["| tokenizer | " + " | ".join(c.header for c in columns) + " |",
             "|---|" + "|".join("---:" for _ in columns) + "|"]
    for card in cards:
        lines.append(f"| {card.tokenizer} | " + " | ".join(c.text(c.value(card)) for c in columns) + " |")
    return "\n".join(lines)


_DOMAIN_ROWS: list[tuple[str, Callable[[DomainScore], object], Callable[[object], str]]] = [
    ("bytes", lambda d: d.bytes, fmt_num), ("tokens", lambda d: d.tokens, fmt_num),
    ("bytes/token", lambda d: d.bytes_per_token, fmt_num), ("chars/token", lambda d: d.chars_per_token, fmt_num),
    ("normalized sequence length", lambda d: d.normalized_seq_len, fmt_num),
    ("fertility (tokens/word)", lambda d: d.fertility, fmt_num), ("continued words", lambda d: d.continued_words, fmt_pct),
    ("Rényi efficiency (α=2.5)", lambda d: d.renyi_efficiency, fmt_num),
    ("vocabulary used", lambda d: d.vocab_utilisation, fmt_pct),
    ("superword tokens", lambda d: d.superword_token_share, fmt_pct),
    ("round-trip failures", lambda d: d.round_trip_failures, fmt_num),
    ("encode MB/s", lambda d: d.throughput_mb_s, lambda v: fmt_num(v, 2)),  # type: ignore[arg-type]
]


def scorecard_markdown(card: Scorecard) -> str:
    """One scorecard in Markdown: metrics x domains, then the vocabulary and parallel summaries."""
    doms = (*card.domains, card.overall)
    head = [f"## {card.tokenizer} ({card.kind}, {card.vocab_size:,} tokens)", "",
            "| metric | " + " | ".join(d.name for d in doms) + " |", "|---|" + "|".join("---:" for _ in doms) + "|"]
    rows = [f"| {label} | " + " | ".join(text(get(d)) for d in doms) + " |" for label, get, text in _DOMAIN_ROWS]
    vocab = [f"- unreachable tokens: {card.unreachable_tokens:,}"
             + (f" (e.g. {', '.join(card.unreachable_examples[:4])})" if card.unreachable_examples else ""),
             f"- tokens that are not valid UTF-8: {card.invalid_utf8_tokens:,}",
             f"- superword entries in the vocabulary: {fmt_pct(card.superword_vocab_share)}"]
    if card.ambiguity:
        a = card.ambiguity
        vocab.append(f"- segmentations per word ({a.words} frequent words): mean {fmt_num(a.mean_segmentations, 1)}, "
                     f"median {fmt_num(a.median_segmentations, 1)}, more than one: {fmt_pct(a.share_ambiguous)}")
    if card.parallel:
        p = card.parallel
        vocab.append(f"- token premium over {len(p.premiums)} languages: mean {fmt_num(p.mean_premium)}, "
                     f"max {fmt_num(p.max_premium)} ({p.max_language}), Gini {fmt_num(p.gini)}")
    return "\n".join([*head, *rows, "", *vocab]) + "\n"
