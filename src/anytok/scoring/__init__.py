"""Score tokenizers: pure metric functions, scorecards, side-by-side comparisons and HTML reports."""

from anytok.scoring.compare import Comparison, compare
from anytok.scoring.scorecard import DomainScore, ParallelScore, ScoreOptions, Scorecard, score

__all__ = ["Comparison", "DomainScore", "ParallelScore", "ScoreOptions", "Scorecard", "compare", "score"]
