"""The probes on SmolLM2-135M: what its digit-by-digit tokenizer cannot express is skipped with
its reason, and splitting its tokens costs it likelihood that the byte-level view does not."""

from __future__ import annotations

import pytest

from anytok.probe import ProbeConfig, run_probes

pytestmark = pytest.mark.slow


def test_smollm2_numbers_and_encodings():
    (card,) = run_probes(["smollm2-135m"], ProbeConfig(suites=("numbers", "encodings"), limit=2))
    numbers, enc = card.suites["numbers"], card.suites["encodings"]
    assert "each digit is already a token" in numbers.skipped["digits1"]
    assert "no single token for the digits" in numbers.skipped["l2r3"]
    assert {"add: ranked [canonical]", "compare: answer bits [canonical]"} <= set(numbers.measures)
    canonical = enc.measures["bpb [canonical]"].values
    for tag in ("split 25%", "split 100%"):
        assert all(s > c for s, c in zip(enc.measures[f"bpb [{tag}]"].values, canonical))
        assert all(kl > 0 for kl in enc.measures[f"KL bits [{tag}]"].values)
    byte_level = enc.measures["bpb [byte-level]"].values
    assert all(abs(b - c) < 0.05 for b, c in zip(byte_level, canonical))  # the canonical cover carries the mass
