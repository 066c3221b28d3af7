"""The tokenizer arena: FLOP and byte accounting, the lexinvariant model's invariance, the byte
model's chain rule, determinism, resume, a tiny three-entrant arena end to end, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from anytok.arena import ArenaConfig, ModelShape, run_arena
from anytok.arena.config import ArenaError
from anytok.arena.entrants import parse_entrant
from anytok.arena.flops import forward_flops_per_token, training_flops
from anytok.arena.model import ArenaLM
from anytok.arena.train import make_plan
from tests.tiny import tiny_tokenizer

TRAIN = ("the cat sat on the mat and the dog ran to the park; " * 4 + "\n"
         + "def add(a, b):\n    return a + b\n" * 3 + "numbers 12 345 6789 and words again\n") * 30
HELD_OUT = "the dog sat on the park mat; def sub(a, b):\n    return a - b\n" * 8
TINY = dict(size="tiny", budget_bytes=6_000, chunk_bytes=96, batch_size=4, evals=2)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("arena")
    (root / "train.txt").write_text(TRAIN)
    (root / "eval.txt").write_text(HELD_OUT)
    tiny_tokenizer([TRAIN], vocab_size=300).save(str(root / "tok.json"))
    return {"train": root / "train.txt", "eval": root / "eval.txt", "tok": root / "tok.json"}


def test_flops_by_hand():
    shape = ModelShape(dim=8, layers=1, heads=2, mlp_hidden=16)
    # per token, T = 4: 8*8^2 (qkv, o) + 6*8*16 (SwiGLU) + 2*8*(4+1) (attention) + 2*8*10 (softmax, V = 10)
    assert forward_flops_per_token(shape, 10, 4) == 512 + 768 + 80 + 160
    assert training_flops(shape, 10, [4, 4]) == 3 * 8 * 1520
    model = ArenaLM(shape, 10)  # the 8 d^2 + 6 d h terms are 2 FLOPs per weight of the block's matrices
    block = sum(p.numel() for n, p in model.blocks[0].named_parameters() if p.dim() == 2)
    assert 2 * block == 8 * 8 * 8 + 6 * 8 * 16


def test_every_entrant_reads_the_same_bytes_in_the_same_order():
    config = ArenaConfig(**{**TINY, "budget_bytes": 1000})
    sizes = [90, 100, 110, 95, 105, 99, 101, 97]
    a = make_plan(sizes, [20.0] * 8, config, seed=3)
    b = make_plan(sizes, [90.0] * 8, config, seed=3)  # another entrant: other costs, the same chunks
    assert a.batches == b.batches and a.bytes == b.bytes
    assert a.bytes[-1] >= 1000 > a.bytes[-2]  # stops at the first step that reaches the budget
    assert all(a.bytes[s] == sum(sizes[i] for b_ in a.batches[: s + 1] for i in b_) for s in range(len(a.batches)))
    assert b.flops[-1] == 90.0 * sum(len(x) for x in b.batches)
    assert make_plan(sizes, [20.0] * 8, config, seed=4).batches != a.batches
    flops = make_plan(sizes, [20.0] * 8, ArenaConfig(**{**TINY, "budget_bytes": 1000, "budget_flops": 1.0}), 3)
    assert len(flops.batches) == 1  # the FLOP budget stops it after one step


def test_lexinvariant_loss_is_invariant_to_a_permutation_of_the_ids():
    torch.manual_seed(0)
    shape = ModelShape(dim=16, layers=2, heads=2, mlp_hidden=32)
    ids = torch.tensor([[5, 9, 5, 3, 9, 9, 1, 5, 7, 3]])
    perm = torch.randperm(12)

    def loss(model, x):
        logits = model(input_ids=x, seeds=[11]).logits[0, :-1]
        return torch.nn.functional.cross_entropy(logits, x[0, 1:]).item()

    lex = ArenaLM(shape, 12, lexinvariant=True)
    assert math.isclose(loss(lex, ids), loss(lex, perm[ids]), rel_tol=1e-6)
    plain = ArenaLM(shape, 12)
    assert not math.isclose(loss(plain, ids), loss(plain, perm[ids]), rel_tol=1e-6)


def test_byte_model_next_byte_distributions_sum_to_one_and_chain():
    """Scoring a text at once equals the product of next-byte probabilities, each from a forward
    of its prefix alone (the attention is causal, padding changes nothing)."""
    from anytok.eval.bpb import sequence_bits

    torch.manual_seed(0)
    model = ArenaLM(ModelShape(dim=16, layers=2, heads=2, mlp_hidden=32), 257).eval()
    seq = [256, *b"abcab\x00\xff"]
    total = 0.0
    with torch.no_grad():
        for k in range(1, len(seq)):
            probs = torch.softmax(model(input_ids=torch.tensor([seq[:k]])).logits[0, -1].double(), -1)
            assert abs(float(probs.sum()) - 1) < 1e-9
            total -= math.log2(float(probs[seq[k]]))
    batched = sequence_bits(model, [seq, seq[:3]], n_context=1)  # with a shorter, padded neighbour
    assert math.isclose(batched[0], total, rel_tol=1e-5)


def test_hierarchical_next_byte_distributions_sum_to_one_and_chain():
    """p(b | x) = P(x + b) / P(x) over all 256 bytes sums to 1 after prefixes that end inside a
    word, after whitespace, at the word-length limit and just after it; a chunk scores the same
    alone and batched with others."""
    from anytok.arena.hierarchical import MAX_WORD, HierarchicalLM, split_words

    assert split_words(b"the cat\n\nsat  on") == [b"the", b" cat", b"\n\nsat", b"  on"]
    assert split_words(b"a" * (MAX_WORD + 3)) == [b"a" * MAX_WORD, b"aaa"]
    torch.manual_seed(0)
    model = HierarchicalLM(ModelShape(dim=16, layers=2, heads=2, mlp_hidden=32)).double().eval()
    prefixes = [b"x", b"the ca", b"the cat", b"the cat ", b"ab\n", b"\n\n", b"a" * MAX_WORD, b"a" * (MAX_WORD - 1),
                b"a" * MAX_WORD + b" ", "é".encode()]
    with torch.no_grad():
        for x in prefixes:
            whole = model.chunk_logprobs([x])[0]
            after = model.chunk_logprobs([x + bytes([b]) for b in range(256)])
            assert abs(float(torch.exp(after - whole).sum()) - 1) < 1e-9, x
        alone = [float(model.chunk_logprobs([x])[0]) for x in prefixes]
        batched = model.chunk_logprobs(prefixes).tolist()
    assert alone == pytest.approx(batched, rel=1e-9)


def test_a_tiny_arena_runs_and_repeats_itself(files, tmp_path):
    entrants = ["bytes", str(files["tok"]), f"lexinvariant:{files['tok']}", "hierarchical"]
    config = ArenaConfig(**TINY, seeds=(0, 1))
    first = run_arena(entrants, train=[files["train"]], held_out=[files["eval"]], config=config, out=tmp_path / "a")
    again = run_arena(entrants, train=[files["train"]], held_out=[files["eval"]], config=config, out=tmp_path / "b")
    assert [r["bpb"] for r in first.runs] == [r["bpb"] for r in again.runs]  # one seed, one answer
    assert len(first.runs) == 8 and all(0 < r["bpb"] < 12 for r in first.runs)
    assert all(r["seconds"] > 0 for r in first.runs) and all(s["seconds"] > 0 for s in first.summary())
    assert len({r["train_bytes"] for r in first.runs if r["seed"] == 0}) == 1  # equal bytes for all entrants
    run = first.runs[0]  # one held-out file: its bits per byte are the whole
    assert run["bpb_by_file"] == {"eval": pytest.approx(run["bpb"], rel=1e-12)}
    saved = json.loads((tmp_path / "a" / "arena.json").read_text())
    assert [s["entrant"] for s in saved["summary"]] == entrants
    assert "| bytes | bytes |" in (tmp_path / "a" / "arena.md").read_text()
    page = (tmp_path / "a" / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 1 and "Learning curves" in page and "tok.json" in page
    bytes_row = page[page.index("<tr><td>bytes</td>"):].split("</tr>")[0]
    assert bytes_row.endswith("<td>-</td><td>-</td>")  # no tokenizer: no bytes/token or Renyi (not "nan")
    from safetensors.torch import load_file

    assert "model.embed.weight" in load_file(str(tmp_path / "a" / "bytes" / "seed0" / "checkpoint.safetensors"))
    curve = first.runs[0]["curve"]
    assert [p["step"] for p in curve] == sorted(p["step"] for p in curve) and len(curve) == 2


def test_an_interrupted_run_resumes_from_its_checkpoint(files, tmp_path):
    config = ArenaConfig(**{**TINY, "evals": 3})
    whole = run_arena(["bytes"], train=[files["train"]], held_out=[files["eval"]], config=config, out=tmp_path / "w")

    class Stop(Exception):
        pass

    def stop_late(run, step, steps):
        if step == steps - 1:
            raise Stop

    with pytest.raises(Stop):
        run_arena(["bytes"], train=[files["train"]], held_out=[files["eval"]], config=config, out=tmp_path / "r",
                  progress=stop_late)
    assert not (tmp_path / "r" / "bytes" / "seed0" / "run.json").exists()
    steps = []
    resumed = run_arena(["bytes"], train=[files["train"]], held_out=[files["eval"]], config=config,
                        out=tmp_path / "r", progress=lambda run, step, n: steps.append(step))
    assert steps and steps[0] > 1  # went on from the checkpoint, not from step 1
    assert resumed.runs[0]["bpb"] == pytest.approx(whole.runs[0]["bpb"], rel=1e-6)


def test_bad_input_is_one_error(files, tmp_path):
    with pytest.raises(ArenaError, match="less than one step"):
        ArenaConfig(**{**TINY, "budget_bytes": 10})
    with pytest.raises(ArenaError, match="neither a kind"):
        parse_entrant("no-such-tokenizer-or-kind")
    if not torch.cuda.is_available():
        with pytest.raises(ArenaError, match="no CUDA"):
            run_arena(["bytes"], train=[files["train"]], held_out=[files["eval"]],
                      config=ArenaConfig(**TINY, device="cuda"), out=tmp_path / "c")
    short = tmp_path / "short.txt"
    short.write_text("tiny\n")
    with pytest.raises(ArenaError, match="less than one chunk"):
        run_arena(["bytes"], train=[files["train"]], held_out=[short], config=ArenaConfig(**TINY), out=tmp_path / "s")
    from anytok.cli.main import app

    result = CliRunner().invoke(app, ["arena", "bytes", "nope-entrant", "--corpus", str(files["train"]), "--eval",
                                      str(files["eval"]), "-o", str(tmp_path / "cli"), "--budget-bytes", "50000"])
    assert result.exit_code == 1 and "neither a kind" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "cli").exists()


def test_a_corpus_the_tokenizer_cannot_encode_is_refused_before_training(files, tmp_path):
    from tokenizers import Tokenizer, models

    hf = Tokenizer(models.BPE(vocab={"<unk>": 0, "t": 1, "h": 2, "e": 3, " ": 4, "</s>": 5}, merges=[],
                              unk_token="<unk>"))
    hf.add_special_tokens(["</s>"])
    hf.save(str(tmp_path / "unk.json"))
    with pytest.raises(ArenaError, match="cannot encode the corpus"):
        run_arena([str(tmp_path / "unk.json")], train=[files["train"]], held_out=[files["eval"]],
                  config=ArenaConfig(**TINY), out=tmp_path / "u")
    assert not (tmp_path / "u").exists()


def test_a_tokenizer_without_bos_or_eos_gets_its_own_context_id(tmp_path):
    import anytok

    (tmp_path / "t.txt").write_text(TRAIN)
    tok = anytok.train([tmp_path / "t.txt"], vocab_size=300, progress=False)
    tok.save(str(tmp_path / "plain.json"))
    entrant = parse_entrant(str(tmp_path / "plain.json"))
    assert entrant.vocab_size == tok.vocab_size + 1
    assert entrant.encode([b"the cat"]) == [[tok.vocab_size, *tok.encode("the cat")]]


def test_the_command_runs_a_tiny_arena(files, tmp_path):
    from anytok.cli.main import app

    result = CliRunner().invoke(app, ["arena", "bytes", str(files["tok"]), "--corpus", str(files["train"]),
                                      "--eval", str(files["eval"]), "-o", str(tmp_path / "run"), "--budget-bytes",
                                      "3000", "--chunk-bytes", "96", "--batch-size", "4", "--evals", "1",
                                      "--seed", "0", "--seed", "1"])
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "run" / "arena.json").read_text())
    assert {(r["entrant"], r["seed"]) for r in saved["runs"]} == {(e, s) for e in ("bytes", str(files["tok"]))
                                                                   for s in (0, 1)}
    assert saved["config"]["budget_bytes"] == 3000 and (tmp_path / "run" / "report.html").exists()


def test_bits_per_byte_per_held_out_file_add_up_to_the_whole(files, tmp_path):
    second = tmp_path / "more.txt"
    second.write_text("numbers 12 and 345; return a + b\n" * 12)
    result = run_arena(["bytes"], train=[files["train"]], held_out=[files["eval"], second],
                       config=ArenaConfig(**{**TINY, "evals": 1}), out=tmp_path / "two")
    run = result.runs[0]
    sizes = {"eval": files["eval"].stat().st_size, "more": second.stat().st_size}
    assert set(run["bpb_by_file"]) == {"eval", "more"}
    whole = sum(run["bpb_by_file"][f] * n for f, n in sizes.items()) / sum(sizes.values())
    assert whole == pytest.approx(run["bpb"], rel=1e-9)
    assert "| eval | more |" in result.to_markdown()


def test_spearman_and_the_correlations_use_subword_entrants_only():
    from anytok.arena.run import ArenaResult, spearman

    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(3 / math.sqrt(10))  # ties: mean rank (by hand)
    runs = [{"entrant": n, "kind": k, "seed": 0, "bpb": b, "train_flops": 1.0, "parameters": 1, "curve": []}
            for n, k, b in (("a", "subword", 3.0), ("b", "subword", 2.0), ("c", "subword", 1.0),
                            ("lex", "lexinvariant", 9.0))]
    intrinsic = {"a": {"bytes_per_token": 1.0, "renyi_efficiency": 0.3}, "b": {"bytes_per_token": 2.0,
                 "renyi_efficiency": 0.1}, "c": {"bytes_per_token": 3.0, "renyi_efficiency": 0.2},
                 "lex": {"bytes_per_token": 3.0, "renyi_efficiency": 0.2}}
    corr = ArenaResult(config={}, runs=runs, intrinsic=intrinsic).correlations()
    assert corr["bytes_per_token"] == pytest.approx(-1.0) and corr["renyi_efficiency"] == pytest.approx(0.5)
