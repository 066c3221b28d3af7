"""anytok.probe: every item's answer against an independent computation, non-canonical encodings
against the tokenizer, rewrites against the compiler, a tiny model through every suite."""

from __future__ import annotations

import itertools
import json
import math
import random
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from anytok.probe import (
    SUITES,
    Measure,
    ProbeCard,
    ProbeConfig,
    ProbeError,
    ProbeModel,
    chars,
    code,
    differences,
    encodings,
    numbers,
    perturb,
    rewrites,
    run_probes,
)
from anytok.probe.questions import data_text
from anytok.probe.splits import Splitter
from tests.tiny import tiny_model, tiny_tokenizer

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


@pytest.fixture(scope="module")
def tok():
    texts = data_text("prose.txt").split("\n") + data_text("code.py.txt").split("\n")
    texts += [" ".join(str(n) for n in range(k, 1000, 7)) for k in range(7)] * 5  # two- and three-digit tokens
    return tiny_tokenizer(texts, vocab_size=1200)


@pytest.fixture(scope="module")
def model(tok):
    return ProbeModel(tiny_model(tok.vocab_size), tok, name="tiny")


# -- items: answers recomputed from the prompt text alone ----------------------------------------

def _last(prompt: str) -> str:
    return prompt.rsplit("Q: ", 1)[-1]


def test_chars_answers_are_right():
    for q in chars.questions(40, seed=3):
        quoted = re.findall(r'"([^"]*)"', _last(q.prompt))
        assert q.candidates.count(q.answer) == 1 and len(set(q.candidates)) == len(q.candidates)
        if q.task == "count":
            letter, word = quoted
            assert int(q.answer) == sum(1 for c in word if c == letter)
        elif q.task == "spell":
            assert q.answer.strip().split("-") == list(quoted[0])
            assert {len(c) for c in q.candidates} == {len(q.answer)}
        elif q.task == "index":
            position = int(re.search(r"number (\d+)", _last(q.prompt)).group(1))
            assert q.answer == " " + quoted[0][position - 1]
        elif q.task == "reverse":
            assert q.answer == " " + "".join(reversed(quoted[0]))
            assert {len(c) for c in q.candidates} == {len(q.answer)}
        else:
            word, part = quoted
            assert (q.answer == " Yes") == (word.find(part) != -1)
    tasks = Counter((q.task, q.answer) for q in chars.questions(40, seed=3) if q.task == "substring")
    assert tasks[("substring", " Yes")] == tasks[("substring", " No")] == 20


def test_numbers_answers_are_right():
    for q in numbers.questions(40, seed=5):
        last = q.prompt.rpartition("\n")[2]
        a, b = (int(n) for n in re.findall(r"\d+", last))
        if q.task == "add":
            assert int(q.answer) == sum([a, b])
        elif q.task == "multiply":
            assert int(q.answer) == math.prod([a, b])
        else:
            assert (q.answer == " Yes") == (str(a).zfill(9) > str(b).zfill(9))  # compared as digit strings
        assert q.candidates.count(q.answer) == 1


def test_items_do_not_depend_on_the_limit():
    for suite in (chars, numbers):
        short, long = suite.questions(3, seed=1), suite.questions(8, seed=1)
        for task in suite.TASKS:
            assert [q for q in short if q.task == task] == [q for q in long if q.task == task][:3]


@pytest.mark.parametrize("digits", ["7", "12", "123", "1234", "12345", "1234567"])
def test_digit_groupings(digits):
    assert numbers.chunks(digits, "digits1") == list(digits)
    for grouping in ("l2r3", "r2l3"):
        parts = numbers.chunks(digits, grouping)
        assert "".join(parts) == digits
        middle = parts[:-1] if grouping == "l2r3" else parts[1:]
        assert all(len(p) == 3 for p in middle) and all(1 <= len(p) <= 3 for p in parts)
    assert numbers.chunks("1234567", "l2r3") == ["123", "456", "7"]
    assert numbers.chunks("1234567", "r2l3") == ["1", "234", "567"]


def test_grouped_encodings_keep_the_bytes(model):
    for q in numbers.questions(10, seed=0):
        for grouping in numbers.GROUPINGS:
            ids = numbers.encode_grouped(model, q.prompt, grouping)
            if ids is not None:
                assert model.tokenizer.decode(ids) == q.prompt.encode()
                if grouping == "digits1":
                    last = model.tokenizer.decode(ids[len(model.encode(q.prompt.rpartition("\n")[0] + "\n")):])
                    assert last == q.prompt.rpartition("\n")[2].encode()


# -- non-canonical encodings ------------------------------------------------------------------------

def _reference(name: str):
    from anytok.tokenizer import load

    path = SHARED / "tokenizers" / f"{name}.tiktoken"
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return load(name)


HARD = ["Ｆｕｌｌｗｉｄｔｈ and 𝐛𝐨𝐥𝐝", "naïve café — «quote» 🙂👩🏽‍💻", "def f(x):\n    return x ** 2  # ok",
        "Здравствуйте, мир", "日本語のテキストです。", "   spaces\t\ttabs\n\n\n", "12345678901234567890"]


@pytest.mark.parametrize("name", ["cl100k", "llama3"])
def test_noncanonical_decodes_to_the_same_bytes_and_is_never_canonical(name):
    tok = _reference(name)
    splitter = Splitter(tok)
    lines = data_text("prose.txt").split("\n")[:20] + HARD
    for k, text in enumerate(lines):
        ids = tok.encode(text)
        for rate in (0.1, 0.5, 1.0):
            split = splitter.noncanonical(ids, rate=rate, rng=random.Random(k))
            if split is None:
                assert not any(splitter.can_split(t) for t in ids)
                continue
            assert tok.decode(split) == text.encode()
            assert split != ids and tok.encode(tok.decode(split)) == ids  # the canonical one is the tokenizer's
            assert len(split) > len(ids)


def _segmentations(data: bytes, index) -> list[tuple[bytes, ...]]:
    """Every segmentation of ``data`` into tokens, by brute force over the cut points."""
    out = []
    for cuts in itertools.product([0, 1], repeat=len(data) - 1):
        pieces, start = [], 0
        for i, cut in enumerate(cuts, start=1):
            if cut:
                pieces.append(data[start:i])
                start = i
        pieces.append(data[start:])
        if all(p in index for p in pieces):
            out.append(tuple(pieces))
    return out


def test_splits_are_uniform_over_every_segmentation():
    tok = _reference("cl100k")
    splitter = Splitter(tok)
    token = tok.encode(" their")[0]
    data = tok.token_bytes(token)
    every = [s for s in _segmentations(data, tok.ordinary_index) if len(s) > 1]
    rng = random.Random(0)
    draws = Counter(tuple(tok.token_bytes(t) for t in splitter.split_token(token, rng)) for _ in range(6000))
    assert set(draws) == set(every)  # only real segmentations, all of them reachable
    expected = 6000 / len(every)
    chi2 = sum((draws[s] - expected) ** 2 / expected for s in every)
    assert chi2 < 3 * len(every) + 30  # far below what a skewed sampler gives (its chi2 grows with the draws)


def test_the_model_runner_accepts_noncanonical_ids(model):
    splitter = Splitter(model.tokenizer)
    ids = model.encode("The company of clever, well-informed people.")
    split = splitter.noncanonical(ids, rate=1.0, rng=random.Random(0))
    assert model.tokenizer.decode(split) == model.tokenizer.decode(ids)
    bits = model.sequence_bits(split)
    assert math.isfinite(bits) and bits > model.sequence_bits(ids) * 0.5


def test_continuation_bits_against_token_by_token_sums(model):
    import torch

    context, conts = model.encode("Q: a question\nA:"), [model.encode(" yes"), model.encode(" no, not at all")]
    got = model.continuation_bits(context, conts)
    for cont, bits in zip(conts, got):
        seq = model.prefix + context + cont
        with torch.no_grad():
            lp = torch.log_softmax(model.model(input_ids=torch.tensor([seq])).logits[0].float(), -1)
        start = len(model.prefix) + len(context)
        assert bits == pytest.approx(-sum(float(lp[j - 1, seq[j]]) for j in range(start, len(seq))) / math.log(2),
                                     abs=1e-3)


# -- perturbations and rewrites ---------------------------------------------------------------------

def test_perturbations_are_deterministic_and_change_the_text():
    text = "The Kellynch estate should be transmitted whole and entire, as he had received it in 1784."
    for kind in perturb.PERTURBATIONS:
        once = perturb.perturb(text, kind, seed=0, k=3)
        assert once == perturb.perturb(text, kind, seed=0, k=3) != text
    assert any(perturb.perturb(text, kind, seed=1, k=3) != perturb.perturb(text, kind, seed=0, k=3)
               for kind in ("typo swap", "typo drop", "typo insert", "combining marks", "extra spaces"))


def test_perturbations_against_unicode_itself():
    text = "Anne Elliot, born August 9, 1787; she was the heir."
    for kind in ("fullwidth", "math bold", "math italic"):
        styled = perturb.perturb(text, kind, 0, 0)
        assert unicodedata.normalize("NFKC", styled) == text  # NFKC folds the styled letters back
        assert all(unicodedata.name(c).startswith(("FULLWIDTH", "MATHEMATICAL", "PLANCK")) for c in styled
                   if unicodedata.normalize("NFKC", c).isalnum() and c not in text)
    marked = perturb.perturb(text, "combining marks", 0, 0)
    assert "".join(c for c in unicodedata.normalize("NFD", marked) if not unicodedata.combining(c)) == text
    assert perturb.perturb(text, "extra spaces", 0, 0).split() == text.split()
    for kind, change in (("typo drop", -1), ("typo insert", 1), ("typo swap", 0)):
        typo = perturb.perturb(text, kind, 0, 0)
        assert len(typo) - len(text) == change * sum(a != b for a, b in zip(typo.split(" "), text.split(" ")))
        if kind == "typo swap":
            assert all(sorted(a) == sorted(b) for a, b in zip(typo.split(" "), text.split(" ")))


def _bytecode(source: str):
    func = next(c for c in compile(source, "<probe>", "exec").co_consts if hasattr(c, "co_code"))
    return func.co_code, [c for c in func.co_consts if not hasattr(c, "co_code")], func.co_names


def test_rewrites_compile_to_the_same_program():
    funcs = [f for f in data_text("code.py.txt").split(code.SEPARATOR) if f.strip()]
    applied = Counter()
    for func in funcs:
        for name, rewrite in rewrites.REWRITES.items():
            done = rewrite(func)
            if done is None:
                continue
            new, where, renames = done
            applied[name] += 1
            assert new != func
            assert _bytecode(new) == _bytecode(func)  # the compiler's view, independent of the AST check
            lines, new_lines = func.split("\n"), new.split("\n")
            for row, line in enumerate(lines):
                target = new_lines[where[row]]
                if name == "rename":
                    (old, nu), = renames.items()
                    assert target == re.sub(rf"\b{old}\b", nu, line) or old in line  # attributes keep their name
                elif name != "quotes":
                    assert target.strip() == line.strip()
    assert min(applied.values()) >= 20, applied


def test_rename_leaves_attributes_and_keywords_alone():
    src = "def f(self, item_count, x):\n    self.item_count = item_count\n    return g(item_count=item_count) + x\n"
    new, _, renames = rewrites.rename(src)
    assert renames == {"item_count": "itemCount"}
    assert new == ("def f(self, itemCount, x):\n    self.item_count = itemCount\n"
                   "    return g(item_count=itemCount) + x\n")


# -- the suites on a tiny model ---------------------------------------------------------------------

def test_every_suite_runs_on_a_tiny_model(model, tmp_path):
    cards = run_probes([model], ProbeConfig(limit=2), out=tmp_path)
    card = cards[0]
    assert set(card.suites) == set(SUITES)
    assert card.suites["chars"].measures["count: ranked"].n == 2
    assert "bpb [byte-level]" in card.suites["encodings"].measures
    canon = card.suites["encodings"].measures["bpb [canonical]"].values
    byte = card.suites["encodings"].measures["bpb [byte-level]"].values
    assert all(b <= c + 1e-6 for b, c in zip(byte, canon))  # the byte LM adds the other canonical covers
    doc = json.loads((tmp_path / "probe.json").read_text())
    again = ProbeCard.from_dict(doc["cards"][0])
    assert again.suites["perturb"].measures["uppercase: extra bits/byte"].values == \
        card.suites["perturb"].measures["uppercase: extra bits/byte"].values
    html = (tmp_path / "report.html").read_text()
    assert all(f"<h2>{s}</h2>" in html for s in SUITES) and "data:image/png;base64" in html
    assert "| chars | count: ranked |" in (tmp_path / "probe.md").read_text()


def test_digit_groupings_on_cl100k():
    tok = _reference("cl100k")
    probe = ProbeModel(tiny_model(tok.vocab_size, bos_id=None, eos_id=tok.eos_id), tok, name="tiny-cl100k")
    result = numbers.run(probe, limit=2, seed=0)
    # cl100k cuts digit runs in threes from the left: l2r3 is its canonical encoding, the others are not
    assert "canonical ids on every item" in result.skipped["l2r3"]
    assert {"add: ranked [digits1]", "add: ranked [r2l3]", "compare: greedy [r2l3]"} <= set(result.measures)
    q = numbers.question("add", 0, 0)
    ids = numbers.encode_grouped(probe, q.prompt, "r2l3")
    assert tok.decode(ids) == q.prompt.encode() and ids != tok.encode(q.prompt)


def test_two_runs_give_the_same_card(model):
    config = ProbeConfig(suites=("encodings", "perturb"), limit=2, seed=4)
    a, b = (run_probes([model], config)[0] for _ in range(2))
    for suite in config.suites:
        assert a.suites[suite].to_dict() | {"seconds": 0} == b.suites[suite].to_dict() | {"seconds": 0}


def test_a_tokenizer_without_splits_is_skipped_not_crashed():
    byte_tok = tiny_tokenizer(["abc"], vocab_size=258)  # 256 bytes + 2 specials: no merges at all
    probe = ProbeModel(tiny_model(byte_tok.vocab_size), byte_tok, name="bytes")
    card = run_probes([probe], ProbeConfig(suites=("encodings", "numbers"), limit=1))[0]
    assert "no token of the 1 texts can be split" in card.suites["encodings"].skipped["all"]
    assert "digits1" in card.suites["numbers"].skipped and "l2r3" in card.suites["numbers"].skipped
    assert "add: ranked [canonical]" in card.suites["numbers"].measures


def test_paired_differences_by_hand():
    def card(values):
        from anytok.probe import SuiteResult

        return ProbeCard("m", "t", {"s": SuiteResult("s", {"x": Measure(tuple(values), "higher")})}, 3, 0, 0.0)

    (d,) = differences(card([0.0, 0.0, 1.0, 0.0]), card([1.0, 1.0, 1.0, 1.0]))  # paired: 1, 1, 0, 1
    assert d["diff"] == pytest.approx(0.75)
    assert d["stderr"] == pytest.approx(math.sqrt((3 * 0.25 ** 2 + 0.75 ** 2) / 3 / 4))  # = 0.25
    assert d["larger_than_stderr"] is True
    (same,) = differences(card([1.0, 0.0, 1.0, 0.0]), card([0.0, 1.0, 1.0, 0.0]))
    assert same["diff"] == 0 and same["larger_than_stderr"] is False


# -- bad input --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [({"suites": ("chars", "spelling")}, "suite 'spelling' does not exist"),
                                             ({"limit": 0}, "limit=0 gives no items")])
def test_bad_config(kwargs, message):
    with pytest.raises(ProbeError, match=message):
        ProbeConfig(**kwargs)


def test_cli(tok, tmp_path):
    from typer.testing import CliRunner

    from anytok.cli.main import app
    from anytok.models.load import LoadedModel

    folder = LoadedModel(tiny_model(tok.vocab_size), tok, "tiny").save(tmp_path / "tiny")
    runner = CliRunner()
    bad = runner.invoke(app, ["probe", str(folder), "--suite", "chars,spelling", "-o", str(tmp_path / "out")])
    assert bad.exit_code == 1 and "suite 'spelling' does not exist" in bad.output
    assert not (tmp_path / "out").exists()
    bad_code = tmp_path / "bad.py"
    bad_code.write_text("def f(:\n    pass\n")
    bad = runner.invoke(app, ["probe", str(folder), "--code", str(bad_code), "-o", str(tmp_path / "out")])
    assert bad.exit_code == 1 and "does not parse" in bad.output
    ok = runner.invoke(app, ["probe", str(folder), "--suite", "chars", "--suite", "code", "--limit", "1",
                             "-o", str(tmp_path / "out")])
    assert ok.exit_code == 0, ok.output
    doc = json.loads((tmp_path / "out" / "probe.json").read_text())
    assert list(doc["cards"][0]["suites"]) == ["chars", "code"]


def test_a_tokenizer_bytelm_does_not_read_skips_only_the_byte_level_reference():
    from tokenizers import Tokenizer as HFTokenizer
    from tokenizers import models, pre_tokenizers, trainers

    from anytok.tokenizer import Tokenizer

    hf = HFTokenizer(models.Unigram())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.UnigramTrainer(vocab_size=400, special_tokens=["<s>", "</s>"], show_progress=False,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    hf.train_from_iterator(data_text("prose.txt").split("\n"), trainer=trainer)
    tok = Tokenizer.from_hf_json(json.loads(hf.to_str()), name="unigram")
    probe = ProbeModel(tiny_model(tok.vocab_size), tok, name="unigram")
    result = encodings.run(probe, limit=2, seed=0)
    assert "ByteLM needs a BPE tokenizer" in result.skipped["byte-level"]
    assert result.measures["bpb [split 100%]"].n == 2
