"""Model commands print nothing of transformers' own: no progress bars while loading, no
deprecation warnings from the byte-level LM's KV-cache calls."""

from __future__ import annotations

import warnings

import anytok
from anytok.models.load import load_model
from anytok.models.save import save_model
from tests.tiny import tiny_model, tiny_tokenizer

TEXT = "the quick brown fox jumps over the lazy dog\n" * 30


def test_loading_and_saving_a_model_draw_no_progress_bar_and_restore_the_setting(tmp_path, capfd):
    from transformers.utils import logging as hf_logging

    tok = tiny_tokenizer([TEXT], vocab_size=280)
    save_model(tiny_model(tok.vocab_size), tok, tmp_path / "m")
    hf_logging.enable_progress_bar()
    capfd.readouterr()
    loaded = load_model(tmp_path / "m")
    loaded.save(tmp_path / "again")
    out, err = capfd.readouterr()
    assert "Loading weights" not in out + err and "Writing model shards" not in out + err and "it/s" not in out + err
    assert hf_logging.is_progress_bar_enabled()  # the user's setting is left as it was


def test_byte_level_calls_raise_no_deprecation_warning():
    tok = tiny_tokenizer([TEXT], vocab_size=280)
    lm = anytok.ByteLM(tiny_model(tok.vocab_size), tok)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lm.next_byte_logprobs(b"the qu")
        lm.score(b"the quick")
    assert [w for w in caught if issubclass(w.category, (FutureWarning, DeprecationWarning))] == []
