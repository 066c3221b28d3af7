"""A small tokenizer.json that encodes a few given texts exactly as the whole one does.

BPE builds every token of a word by merging tokens of that word, so a token whose characters do
not all occur in the word can never appear while encoding it. Keeping only the vocabulary spelled
by the texts' characters (and the merges between such tokens, in their order) therefore gives the
same ids, and ``tokenizers`` builds the small document in milliseconds where Gemma 3's 262k tokens
and 515k merges take 1.7 s. A transplant needs the base tokenizer for a few hundred short strings
(the pieces of new whitespace tokens), so this is most of the time it spends on that tokenizer.

"Characters" means those the model sees: after the normalizer (``" "`` -> ``"▁"``) and the
pre-tokenizer (GPT-2's byte-to-unicode map). Only components whose output characters are known
from their settings are accepted; any other normalizer or pre-tokenizer (Unicode normalization,
...) or model gives None, and the caller uses the whole document.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from anytok.tokenizer.byte_unicode import byte_to_unicode
from anytok.tokenizer.hf_json import components

_BYTE_PIECES = {f"<0x{b:02X}>" for b in range(256)}  # the spelling byte fallback looks up
_SPLITTING_PRE_TOKENIZERS = {"Split", "Whitespace", "WhitespaceSplit", "Punctuation", "Digits"}


def _normalizer_output_chars(node: Mapping[str, Any] | None) -> set[str] | None:
    """Characters a normalizer can add to its input (None: cannot tell)."""
    out: set[str] = set()
    for step in components(node):
        kind = step.get("type")
        if kind == "Replace":  # string or regex, a match becomes the content's characters
            out |= set(step.get("content") or "")
        elif kind == "Prepend":
            out |= set(step.get("prepend") or "")
        elif kind != "Strip":
            return None
    return out


def _pre_tokenizer_chars(node: Mapping[str, Any] | None) -> tuple[set[str], bool] | None:
    """(characters a pre-tokenizer can add, whether it maps bytes to GPT-2 characters), or None."""
    out: set[str] = set()
    byte_level = False
    for step in components(node):
        kind = step.get("type")
        if kind == "ByteLevel":
            out.add(byte_to_unicode()[ord(" ")])  # add_prefix_space puts a mapped space first
            byte_level = True
        elif kind == "Metaspace":
            out |= set(step.get("replacement") or "\u2581")
        elif kind not in _SPLITTING_PRE_TOKENIZERS:
            return None
    return out, byte_level


def _alphabet(doc: Mapping[str, Any], texts: Iterable[str]) -> set[str] | None:
    """Every character the BPE model can see while encoding ``texts`` (a superset), or None."""
    added = _normalizer_output_chars(doc.get("normalizer"))
    pre = _pre_tokenizer_chars(doc.get("pre_tokenizer"))
    if added is None or pre is None:
        return None
    pre_added, byte_level = pre
    model = doc["model"]
    alphabet = added | pre_added | set(model.get("continuing_subword_prefix") or "")
    alphabet |= set(model.get("end_of_word_suffix") or "")
    table = byte_to_unicode()
    for text in texts:
        chars = set(text) | added  # a pre-tokenizer may map characters a normalizer put in
        alphabet |= chars
        if byte_level:
            alphabet |= {table[b] for b in "".join(chars).encode("utf-8")}
    return alphabet


def reduced_document(doc: Mapping[str, Any], texts: Iterable[str]) -> dict[str, Any] | None:
    """A copy of tokenizer.json ``doc`` that keeps only the BPE tokens and merges that encoding
    ``texts`` can use, and the added tokens: same ids, same encodings of those texts. None when
    ``doc`` is not BPE, has a normalizer or pre-tokenizer whose output characters cannot be told
    from its settings, or has an added token that is not in its vocabulary."""
    model = doc.get("model") or {}
    if model.get("type") != "BPE" or model.get("dropout"):
        return None
    added = {t["content"] for t in doc.get("added_tokens") or []}
    if not added <= model["vocab"].keys():
        return None  # tokenizers numbers such an added token after the vocabulary, whose size changes
    alphabet = _alphabet(doc, texts)
    if alphabet is None:
        return None
    keep = added | {model.get("unk_token")} | (_BYTE_PIECES if model.get("byte_fallback") else set())
    vocab = {token: i for token, i in model["vocab"].items() if set(token) <= alphabet or token in keep}
    merges = model.get("merges") or []
    if merges and isinstance(merges[0], str):
        merges = [m for m in merges if all(part in vocab for part in m.split(" ", 1))]
    else:
        merges = [m for m in merges if m[0] in vocab and m[1] in vocab]
    return {**doc, "model": {**model, "vocab": vocab, "merges": merges}}
