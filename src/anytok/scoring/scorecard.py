"""``anytok.score``: every metric of one tokenizer on some text, as a frozen Scorecard."""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping, Sequence, Union

import numpy as np

from anytok.errors import AnytokError, CorpusError
from anytok.scoring import metrics
from anytok.scoring.corpus import TextSource, normalize_texts, read_parallel
from anytok.scoring.progress import Steps, progress_steps
from anytok.scoring.stats import DomainStats, domain_stats, grouped_token_counts, merge, token_count
from anytok.scoring.vocab_checks import Ambiguity, segmentation_ambiguity, vocab_problems
from anytok.tokenizer import Tokenizer, load

log = logging.getLogger(__name__)
TokenizerLike = Union[Tokenizer, str, os.PathLike]
ParallelSource = Union[str, os.PathLike, Mapping[str, Sequence[str]]]


@dataclass(frozen=True)
class ScoreOptions:
    """How to score: the Rényi order, how many words the ambiguity check samples, vocab checks."""

    alpha: float = metrics.RENYI_ALPHA
    ambiguity_words: int = 500
    max_word_bytes: int = 24
    check_vocab: bool = True

    def __post_init__(self) -> None:
        if not self.alpha > 0:
            raise AnytokError(f"alpha={self.alpha} is not a Rényi order; use a positive number such as 2.5")
        if self.ambiguity_words < 0 or self.max_word_bytes < 1:
            raise AnytokError(f"ambiguity_words={self.ambiguity_words} and max_word_bytes={self.max_word_bytes} "
                              "must be >= 0 and >= 1; use 0 words to skip the ambiguity check")


@dataclass(frozen=True)
class DomainScore:
    """Metrics of one tokenizer on one domain of text (or on all domains: name ``all``)."""

    name: str
    texts: int
    bytes: int
    chars: int
    words: int
    tokens: int
    bytes_per_token: float
    chars_per_token: float
    normalized_seq_len: float | None
    fertility: float
    continued_words: float
    renyi_efficiency: float
    vocab_utilisation: float
    superword_token_share: float
    round_trip_failures: int
    throughput_mb_s: float


@dataclass(frozen=True)
class ParallelScore:
    """Token premiums on a parallel corpus (Petrov et al. 2023): tokens(L) / tokens(en)."""

    tokens: Mapping[str, int]
    bytes: Mapping[str, int]
    premiums: Mapping[str, float]
    mean_premium: float
    max_premium: float
    max_language: str
    gini: float
    throughput_mb_s: float


@dataclass(frozen=True)
class Scorecard:
    """Every metric of one tokenizer; ``to_dict()`` for JSON, ``to_markdown()`` for people."""

    tokenizer: str
    kind: str
    vocab_size: int
    reference: str | None
    domains: tuple[DomainScore, ...]
    overall: DomainScore
    parallel: ParallelScore | None
    unreachable_tokens: int
    unreachable_examples: tuple[str, ...]
    invalid_utf8_tokens: int
    superword_vocab_share: float
    ambiguity: Ambiguity | None
    token_length_histogram: Mapping[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    def domain(self, name: str) -> DomainScore:
        """The score of domain ``name`` (``all`` for the whole text)."""
        for d in (*self.domains, self.overall):
            if d.name == name:
                return d
        raise KeyError(f"no domain {name!r}; domains are {[d.name for d in self.domains]}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (NaN becomes None)."""
        return _json_ready(asdict(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Scorecard":
        """The Scorecard that :meth:`to_dict` wrote (None read back as NaN where a float belongs)."""
        nan = lambda v: float("nan") if v is None else v  # noqa: E731
        dom = lambda d: DomainScore(**{k: (v if k == "normalized_seq_len" else nan(v)) for k, v in d.items()})  # noqa: E731
        fields = dict(data)
        fields["domains"] = tuple(dom(d) for d in data["domains"])
        fields["overall"] = dom(data["overall"])
        if data.get("parallel"):
            fields["parallel"] = ParallelScore(**{k: nan(v) for k, v in data["parallel"].items()})
        if data.get("ambiguity"):
            fields["ambiguity"] = Ambiguity(**{k: nan(v) for k, v in data["ambiguity"].items()})
        fields["token_length_histogram"] = {int(k): v for k, v in data["token_length_histogram"].items()}
        fields["unreachable_examples"] = tuple(data["unreachable_examples"])
        fields["superword_vocab_share"] = nan(data["superword_vocab_share"])
        return cls(**fields)

    def to_markdown(self) -> str:
        """A Markdown summary: one table of domain metrics, then vocabulary and parallel lines."""
        from anytok.scoring.markdown import scorecard_markdown

        return scorecard_markdown(self)


def _json_ready(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        return _json_ready(value.item())
    return value


def as_tokenizer(tok: TokenizerLike) -> Tokenizer:
    """A Tokenizer as is, or whatever :func:`anytok.load` makes of a path or name."""
    return tok if isinstance(tok, Tokenizer) else load(tok)


def defined_size(tok: Tokenizer) -> int:
    """|V|: the number of ids that stand for a token (specials included, unused ids not)."""
    return sum(b is not None for b in tok.vocab)


def domain_score(name: str, stats: DomainStats, *, tok: Tokenizer, superwords: np.ndarray,
                 reference_tokens: int | None, alpha: float) -> DomainScore:
    """The metrics of one domain from its raw counts."""
    size = defined_size(tok)
    return DomainScore(
        name=name, texts=stats.texts, bytes=stats.n_bytes, chars=stats.n_chars,
        words=int(stats.word_tokens.size), tokens=stats.n_tokens,
        bytes_per_token=metrics.bytes_per_token(stats.n_bytes, stats.n_tokens),
        chars_per_token=metrics.chars_per_token(stats.n_chars, stats.n_tokens),
        normalized_seq_len=(None if reference_tokens is None
                            else metrics.normalized_sequence_length(stats.n_tokens, reference_tokens)),
        fertility=metrics.fertility(stats.word_tokens),
        continued_words=metrics.continued_word_share(stats.word_tokens),
        renyi_efficiency=metrics.renyi_efficiency(stats.id_counts, size, alpha=alpha),
        vocab_utilisation=metrics.vocab_utilisation(int(np.count_nonzero(stats.id_counts)), size),
        superword_token_share=metrics.share_of_tokens(superwords, stats.id_counts),
        round_trip_failures=stats.round_trip_failures,
        throughput_mb_s=stats.n_bytes / 1e6 / stats.seconds if stats.seconds > 0 else float("nan"))


def parallel_score(tok: Tokenizer, lines: Mapping[str, Sequence[str]], steps: Steps) -> ParallelScore:
    """Token premiums of every language against English, their mean, max and Gini."""
    tokens, sizes, seconds = grouped_token_counts(tok, lines)
    steps.step(f"{tok.name}: parallel")
    if tokens.get("en", 0) == 0:
        raise CorpusError("the English side of the parallel corpus encodes to no tokens; it needs text")
    premiums = metrics.token_premiums(tokens, pivot="en")
    worst = max(premiums, key=premiums.__getitem__)
    return ParallelScore(
        tokens=tokens, bytes=sizes, premiums=premiums, mean_premium=float(np.mean(list(premiums.values()))),
        max_premium=premiums[worst], max_language=worst, gini=metrics.gini(list(premiums.values())),
        throughput_mb_s=sum(sizes.values()) / 1e6 / seconds if seconds > 0 else float("nan"))


def _vocab_fields(tok: Tokenizer, superwords: np.ndarray, options: ScoreOptions) -> dict[str, Any]:
    ordinary = [b for i, b in enumerate(tok.vocab) if b is not None and i not in tok.special_ids]
    fields: dict[str, Any] = {
        "superword_vocab_share": float(superwords.sum() / len(ordinary)) if ordinary else float("nan"),
        "token_length_histogram": metrics.length_histogram(len(b) for b in ordinary),
        "unreachable_tokens": 0, "unreachable_examples": (), "invalid_utf8_tokens": 0}
    if options.check_vocab:
        problems = vocab_problems(tok)
        fields.update(unreachable_tokens=len(problems.unreachable), invalid_utf8_tokens=len(problems.invalid_utf8),
                      unreachable_examples=tuple(repr(tok.token_bytes(i))[1:] for i in problems.unreachable[:8]))
    return fields


def score_prepared(tok: Tokenizer, domains: Mapping[str, Sequence[str]], *, steps: Steps,
                   options: ScoreOptions, parallel_lines: Mapping[str, Sequence[str]] | None = None,
                   reference: str | None = None,
                   reference_tokens: Mapping[str, int] | None = None) -> Scorecard:
    """Score ``tok`` on already-read domains (the shared core of :func:`score` and ``compare``)."""
    start = time.perf_counter()
    superwords = metrics.superword_mask(tok.vocab, tok.special_ids)
    all_stats = {}
    for name, texts in domains.items():
        all_stats[name] = domain_stats(tok, texts)
        steps.step(f"{tok.name}: {name}")
    ref = dict(reference_tokens or {})
    scores = tuple(domain_score(name, s, tok=tok, superwords=superwords, alpha=options.alpha,
                                reference_tokens=ref.get(name)) for name, s in all_stats.items())
    overall = domain_score("all", merge(list(all_stats.values())), tok=tok, superwords=superwords,
                           alpha=options.alpha, reference_tokens=sum(ref.values()) if ref else None)
    words = metrics.frequent_words((t for ts in domains.values() for t in ts), limit=options.ambiguity_words)
    ambiguity = segmentation_ambiguity(tok, words, max_word_bytes=options.max_word_bytes) if words else None
    card_fields = _vocab_fields(tok, superwords, options)
    steps.step(f"{tok.name}: vocabulary")
    par = parallel_score(tok, parallel_lines, steps) if parallel_lines else None
    log.info("scored %s on %d domains in %.1f s", tok.name, len(scores), time.perf_counter() - start)
    return Scorecard(tokenizer=tok.name, kind=tok.kind, vocab_size=defined_size(tok), reference=reference,
                     domains=scores, overall=overall, parallel=par, ambiguity=ambiguity,
                     seconds=time.perf_counter() - start, **card_fields)


def reference_counts(ref: Tokenizer, domains: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Tokens of the reference tokenizer on each domain (for the normalized sequence length)."""
    return {name: token_count(ref, texts)[0] for name, texts in domains.items()}


def load_parallel(parallel: ParallelSource | None, languages: Sequence[str] | None) -> dict[str, list[str]] | None:
    """``{language: lines}`` from a folder or a mapping (checked for English and alignment)."""
    if parallel is None:
        return None
    if isinstance(parallel, Mapping):
        lines = {lang: list(rows) for lang, rows in parallel.items()}
        if "en" not in lines:
            raise CorpusError("the parallel corpus has no 'en' entry; token premiums are relative to English")
        counts = {lang: len(rows) for lang, rows in lines.items()}
        if len(set(counts.values())) > 1:
            odd = next(lang for lang, n in counts.items() if n != counts["en"])
            raise CorpusError(f"parallel texts are not aligned: 'en' has {counts['en']} lines but {odd!r} has "
                              f"{counts[odd]}; give every language the same number of lines")
        return lines
    return read_parallel(parallel, languages=languages)


def score(tokenizer: TokenizerLike, texts: TextSource, *, reference: TokenizerLike | None = None,
          parallel: ParallelSource | None = None, languages: Sequence[str] | None = None,
          options: ScoreOptions | None = None, progress: bool | None = None) -> Scorecard:
    """Score one tokenizer on ``texts`` (a string, a path, a list of them, or domain -> texts).

    ``reference`` (a Tokenizer or anything :func:`anytok.load` takes, e.g. ``"cl100k"``) adds the
    normalized sequence length; ``parallel`` (a folder of line-aligned ``LANG.txt`` files with
    ``en.txt``, or a mapping language -> lines) adds token premiums. ``progress`` shows a bar
    (default: only on a terminal).
    """
    tok = as_tokenizer(tokenizer)
    domains = normalize_texts(texts)
    lines = load_parallel(parallel, languages)
    ref = as_tokenizer(reference) if reference is not None else None
    options = options or ScoreOptions()
    with progress_steps(len(domains) + 1 + (lines is not None), enabled=progress, title=tok.name) as steps:
        ref_tokens = reference_counts(ref, domains) if ref is not None else None
        return score_prepared(tok, domains, steps=steps, options=options, parallel_lines=lines,
                              reference=ref.name if ref is not None else None, reference_tokens=ref_tokens)
