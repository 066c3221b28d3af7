"""Malformed tokenizer files, made by mutating valid ones (types swapped, fields dropped, bytes
flipped, files cut short): every load either succeeds or raises an AnytokError, never anything
else, and a tokenizer that loads encodes without crashing."""

from __future__ import annotations

import json
import random
from pathlib import Path

import gguf
import numpy as np
import pytest

import anytok
from anytok.errors import AnytokError
from anytok.tokenizer.byte_unicode import bytes_to_unicode_str
from tests.tiny import tiny_tokenizer

TEXT = "the cat sat on the mat; the dog sat on the log\n" * 30
ODD_VALUES = [7, -1, 0, 2**40, "x", "", None, [], {}, [1, "a"], {"a": 1}, 1.5, True, "\U0001d518"]


def _paths(node, prefix=()):
    """Every (path, value) in a JSON tree, lists sampled to keep the count small."""
    yield prefix, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i in sorted({0, 1, len(node) // 2, len(node) - 1} & set(range(len(node)))):
            yield from _paths(node[i], (*prefix, i))


def _set(doc, path, value):
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value


_DELETE = object()


@pytest.mark.parametrize("edit, words", [
    pytest.param(lambda d: d.update(model=3), ["'model'", "int"], id="model-int"),
    pytest.param(lambda d: d["model"]["vocab"].update(a=-1), ["'model.vocab'['a']", "-1"], id="negative-id"),
    pytest.param(lambda d: d["model"]["vocab"].update(a="7"), ["'model.vocab'['a']", "'7'"], id="string-id"),
    pytest.param(lambda d: d["model"].update(merges="a b"), ["'model.merges'", "str"], id="merges-string"),
    pytest.param(lambda d: d["model"]["merges"].insert(0, 5), ["'model.merges'[0]", "5"], id="merge-int"),
    pytest.param(lambda d: d.update(added_tokens=[{"id": 3}]), ["'added_tokens'[0]", "content"], id="added-no-content"),
    pytest.param(lambda d: d.update(added_tokens={"a": 1}), ["'added_tokens'", "dict"], id="added-dict"),
])
def test_named_tokenizer_json_mistakes_name_the_field(tokenizer_doc, tmp_path, edit, words):
    doc = json.loads(json.dumps(tokenizer_doc))
    edit(doc)
    (tmp_path / "t.json").write_text(json.dumps(doc))
    with pytest.raises(AnytokError) as e:
        anytok.load(tmp_path / "t.json")
    assert all(w in str(e.value) for w in words) and "malformed" not in str(e.value), str(e.value)


def _check(path: Path) -> None:
    try:
        tok = anytok.load(path)
    except AnytokError:
        return
    try:
        tok.decode(tok.encode("the cat \u00e9 \U0001F600"))
    except AnytokError:
        pass


@pytest.fixture(scope="module")
def tokenizer_doc() -> dict:
    return tiny_tokenizer([TEXT], vocab_size=280).to_hf_json()


def test_mutated_tokenizer_json_loads_or_raises_an_anytok_error(tokenizer_doc, tmp_path):
    rng = random.Random(0)
    paths = [p for p, _ in _paths(tokenizer_doc) if p]
    for k in range(400):
        doc = json.loads(json.dumps(tokenizer_doc))
        path = rng.choice(paths)
        _set(doc, path, _DELETE if rng.random() < 0.2 else rng.choice(ODD_VALUES))
        target = tmp_path / f"t{k}.json"
        target.write_text(json.dumps(doc))
        _check(target)
    text = json.dumps(tokenizer_doc).encode()
    for k in range(100):
        data = bytearray(text[: rng.randrange(len(text))] if k % 2 else text)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        target = tmp_path / f"b{k}.json"
        target.write_bytes(bytes(data))
        _check(target)


def test_mutated_tiktoken_files_load_or_raise_an_anytok_error(tmp_path):
    tok = tiny_tokenizer([TEXT], vocab_size=280)
    good = tmp_path / "good.tiktoken"
    tok.save_tiktoken(str(good))
    (tmp_path / "good.json").write_text('{"pattern": "gpt2"}')
    lines = good.read_bytes().splitlines(keepends=True)
    rng = random.Random(1)
    edits = [lambda l: l.replace(b" ", b" -"), lambda l: l.replace(b" ", b" x"), lambda l: b"!!!" + l,
             lambda l: l.split(b" ")[0] + b"\n", lambda l: b"", lambda l: l * 2, lambda l: l[:-1] + b" 9\n"]
    for k in range(150):
        data = list(lines)
        i = rng.randrange(len(data))
        data[i] = rng.choice(edits)(data[i])
        blob = bytearray(b"".join(data))
        if k % 3 == 0:
            blob = blob[: rng.randrange(len(blob))]
        if k % 5 == 0 and blob:
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        target = tmp_path / f"t{k}.tiktoken"
        target.write_bytes(bytes(blob))
        (tmp_path / f"t{k}.json").write_text(rng.choice(['{"pattern": "gpt2"}', '{"pattern": 3}', '[]', '{',
                                                          '{"pattern": "gpt2", "special_tokens": {"a": "b"}}',
                                                          '{"pattern": "(", "n_ranks": "many"}']))
        _check(target)


def _gguf(path: Path, **overrides) -> Path:
    """A tiny byte-level BPE GGUF; ``overrides`` replace metadata values (with any type)."""
    tokens = ["<|endoftext|>"] + [bytes_to_unicode_str(bytes([b])) for b in range(256)] + ["Ġt", "he", "Ġthe"]
    values = {"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": tokens,
              "tokenizer.ggml.token_type": [3] + [1] * (len(tokens) - 1),
              "tokenizer.ggml.merges": ["Ġ t", "h e", "Ġt he"], "tokenizer.ggml.bos_token_id": 0,
              "tokenizer.ggml.eos_token_id": 0, "general.alignment": 32, **overrides}
    writer = gguf.GGUFWriter(str(path), "llama")
    for key, value in values.items():
        if isinstance(value, bool):
            writer.add_bool(key, value)
        elif isinstance(value, int):
            writer.add_uint32(key, value) if value >= 0 else writer.add_int32(key, value)
        elif isinstance(value, str):
            writer.add_string(key, value)
        elif isinstance(value, float):
            writer.add_float32(key, value)
        else:
            writer.add_array(key, value)
    writer.add_tensor("token_embd.weight", np.zeros((len(tokens), 4), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.mark.parametrize("key, value, words", [
    pytest.param("general.alignment", 0, ["general.alignment", "power of two"], id="alignment-0"),
    pytest.param("tokenizer.ggml.tokens", 5, ["tokenizer.ggml.tokens", "list of strings"], id="tokens-int"),
    pytest.param("tokenizer.ggml.tokens", [1, 2, 3], ["tokenizer.ggml.tokens", "list of strings"], id="tokens-ints"),
    pytest.param("tokenizer.ggml.bos_token_id", "zero", ["tokenizer.ggml.bos_token_id", "integer"], id="bos-string"),
    pytest.param("tokenizer.ggml.bos_token_id", 10**6, ["bos_token_id", "outside"], id="bos-out-of-range"),
    pytest.param("tokenizer.ggml.merges", [1, 2], ["tokenizer.ggml.merges", "list of strings"], id="merges-ints"),
    pytest.param("tokenizer.ggml.merges", ["Ġ"], ["merge #0"], id="merge-one-side"),
    pytest.param("tokenizer.ggml.token_type", ["normal"] * 260, ["tokenizer.ggml.token_type", "integers"],
                 id="types-strings"),
    pytest.param("tokenizer.ggml.token_type", [1], ["token types for 260 tokens"], id="types-short"),
    pytest.param("tokenizer.ggml.model", 3, ["tokenizer.ggml.model", "string"], id="model-int"),
])
def test_gguf_metadata_of_the_wrong_type_names_the_key(tmp_path, key, value, words):
    path = _gguf(tmp_path / "m.gguf", **{key: value})
    with pytest.raises(AnytokError) as e:
        anytok.load(path)
    assert str(path) in str(e.value) and all(w in str(e.value) for w in words), str(e.value)


def test_flipped_and_truncated_gguf_loads_or_raises_an_anytok_error(tmp_path):
    good = _gguf(tmp_path / "good.gguf").read_bytes()
    rng = random.Random(2)
    for k in range(150):
        blob = bytearray(good[: rng.randrange(len(good))] if k % 4 == 0 else good)
        for _ in range(rng.randrange(1, 3)):
            blob[rng.randrange(min(len(blob), 8192))] = rng.randrange(256)
        target = tmp_path / f"g{k}.gguf"
        target.write_bytes(bytes(blob))
        _check(target)
