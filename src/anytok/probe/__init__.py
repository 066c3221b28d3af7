"""Token-level probes: how much a model depends on its tokenization, on any model anytok loads.

    from anytok.probe import ProbeConfig, run_probes
    cards = run_probes(["smollm2-135m"], ProbeConfig(suites=("chars", "encodings"), limit=20), out="probe/")
    print(cards[0].to_markdown())

Suites: ``chars`` (letters inside tokens), ``numbers`` (digit groupings), ``encodings``
(non-canonical tokenizations, the byte-level reference), ``perturb`` (typos, case, Unicode
styling, spaces), ``code`` (semantics-preserving Python rewrites). See docs/probe.md.
"""

from anytok._lazy import lazy_exports
from anytok.probe.card import Measure, ProbeCard, SuiteResult, compare_markdown, differences
from anytok.probe.config import SUITES, ProbeConfig, ProbeError

__all__ = ["SUITES", "Measure", "ProbeCard", "ProbeConfig", "ProbeError", "ProbeModel", "SuiteResult",
           "compare_markdown", "differences", "probe_model", "run_probes"]
__getattr__, __dir__ = lazy_exports(__name__, {"ProbeModel": "anytok.probe.runner", "probe_model": "anytok.probe.run",
                                               "run_probes": "anytok.probe.run"})
