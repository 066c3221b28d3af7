"""``anytok.compare``: several tokenizers side by side on the same text, with a report."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

from anytok._atomic import write_text_atomic
from anytok.errors import AnytokError
from anytok.scoring import metrics
from anytok.scoring.corpus import TextSource, normalize_texts
from anytok.scoring.markdown import compression_columns, markdown_table, parallel_columns, quality_columns
from anytok.scoring.progress import progress_steps
from anytok.scoring.scorecard import (ParallelSource, ScoreOptions, Scorecard, TokenizerLike, as_tokenizer,
                                    load_parallel, reference_counts, score_prepared)


@dataclass(frozen=True)
class Comparison:
    """Scorecards of several tokenizers on the same domains (and parallel corpus)."""

    scorecards: tuple[Scorecard, ...]
    domains: tuple[str, ...]
    reference: str | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict: the domains, the reference and every scorecard."""
        return {"domains": list(self.domains), "reference": self.reference,
                "scorecards": [c.to_dict() for c in self.scorecards]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Comparison":
        """The Comparison that :meth:`to_dict` wrote (to re-render a report from saved JSON)."""
        return cls(scorecards=tuple(Scorecard.from_dict(c) for c in data["scorecards"]),
                   domains=tuple(data["domains"]), reference=data["reference"])

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        """The comparison tables in Markdown: compression, quality and (if any) parallel premiums."""
        parts = ["### Compression", "", markdown_table(self.scorecards, compression_columns(self.domains, self.reference)),
                 "", "### Words, distribution and vocabulary (all domains)", "",
                 markdown_table(self.scorecards, quality_columns())]
        if any(c.parallel for c in self.scorecards):
            parts += ["", "### Token premium on the parallel corpus (tokens(L) / tokens(en))", "",
                      markdown_table(self.scorecards, parallel_columns())]
        return "\n".join(parts) + "\n"

    def to_html(self, *, title: str = "Tokenizer comparison") -> str:
        """A self-contained HTML report (tables and plots as embedded images)."""
        from anytok.scoring.report import render_report

        return render_report(self, title=title)

    def write(self, path: str | os.PathLike, *, title: str = "Tokenizer comparison") -> None:
        """Write the report by suffix: ``.html``, ``.md`` or ``.json`` (atomically)."""
        suffix = os.fspath(path).rsplit(".", 1)[-1].lower()
        writers = {"html": lambda: self.to_html(title=title), "htm": lambda: self.to_html(title=title),
                   "md": self.to_markdown, "markdown": self.to_markdown, "json": self.to_json}
        if suffix not in writers:
            raise AnytokError(f"cannot tell the report format of {path}; name it .html, .md or .json")
        write_text_atomic(path, writers[suffix]())


def _with_nsl(card: Scorecard, ref_name: str, ref_tokens: Mapping[str, int]) -> Scorecard:
    """``card`` with the normalized sequence length against ``ref_tokens`` filled in."""
    domains = tuple(replace(d, normalized_seq_len=metrics.normalized_sequence_length(d.tokens, ref_tokens[d.name]))
                    for d in card.domains)
    total = sum(ref_tokens.values())
    overall = replace(card.overall, normalized_seq_len=metrics.normalized_sequence_length(card.overall.tokens, total))
    return replace(card, domains=domains, overall=overall, reference=ref_name)


def compare(tokenizers: Sequence[TokenizerLike], texts: TextSource, *, reference: TokenizerLike | None = None,
            parallel: ParallelSource | None = None, languages: Sequence[str] | None = None,
            options: ScoreOptions | None = None, progress: bool | None = None) -> Comparison:
    """Score every tokenizer on the same ``texts`` (and ``parallel`` corpus) and lay them side by side.

    ``reference`` defaults to the first tokenizer: its token counts are the denominator of every
    normalized sequence length. Inputs are checked before any tokenizer is loaded, so a bad corpus
    fails fast.
    """
    if not tokenizers:
        raise AnytokError("compare needs at least one tokenizer; pass names such as cl100k or paths")
    domains = normalize_texts(texts)
    lines = load_parallel(parallel, languages)
    options = options or ScoreOptions()
    total = len(tokenizers) * (len(domains) + 1 + (lines is not None)) + len(tokenizers)
    cards: list[Scorecard] = []
    with progress_steps(total, enabled=progress, title="compare") as steps:
        for item in tokenizers:
            tok = as_tokenizer(item)
            steps.step(f"loaded {tok.name}")
            cards.append(score_prepared(tok, domains, steps=steps, options=options, parallel_lines=lines))
        if reference is None:
            ref_name, ref_tokens = cards[0].tokenizer, {d.name: d.tokens for d in cards[0].domains}
        else:
            ref = as_tokenizer(reference)
            ref_name, ref_tokens = ref.name, reference_counts(ref, domains)
    cards = [_with_nsl(c, ref_name, ref_tokens) for c in cards]
    return Comparison(scorecards=tuple(cards), domains=tuple(domains), reference=ref_name)
