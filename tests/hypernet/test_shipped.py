"""The hypernetworks shipped in the package: present, matching their pins, loadable, and found by
the base they were trained for."""

from __future__ import annotations

import hashlib

import pytest

from anytok.hypernet import load_hypernet
from anytok.hypernet.shipped import SHIPPED, shipped_for
from anytok.hypernet.store import WEIGHTS, HyperNetError


@pytest.mark.parametrize("entry", SHIPPED, ids=lambda e: e.name)
def test_shipped_networks_match_their_pins_and_load(entry):
    weights = entry.folder / WEIGHTS
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == entry.sha256
    net, doc = load_hypernet(entry.folder)
    assert doc["base"]["source"] and net.config.embed_dim == doc["base"]["embed_dim"]


def test_a_base_without_a_shipped_network_gets_none():
    from tests.tiny import tiny_tokenizer

    assert shipped_for(tiny_tokenizer(["the cat sat"] * 5, vocab_size=270)) is None


@pytest.mark.slow
def test_smollm2_finds_its_network_and_a_damaged_copy_is_refused(tmp_path, monkeypatch):
    import dataclasses

    import anytok
    from anytok.hypernet import shipped

    tok = anytok.load("smollm2-135m")
    entry = next(e for e in SHIPPED if e.name == "smollm2-135m")
    assert shipped_for(tok) == entry.folder
    monkeypatch.setattr(shipped, "SHIPPED", (dataclasses.replace(entry, sha256="0" * 64),))
    with pytest.raises(HyperNetError, match="damaged"):
        shipped_for(tok)
