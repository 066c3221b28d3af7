"""Score tokenizers: pure metric functions, scorecards, side-by-side comparisons and HTML reports."""

from anytok.score.compare import Comparison, compare
from anytok.score.scorecard import DomainScore, ParallelScore, ScoreOptions, Scorecard, score

__all__ = ["Comparison", "DomainScore", "ParallelScore", "ScoreOptions", "Scorecard", "compare", "score"]
