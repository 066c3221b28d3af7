"""Shape checks for the parts of a tokenizer file anytok reads, before anything is built from it.

A hand-edited or corrupt file must fail with one line naming the file, the field and what it
should hold, not with a Python error from deep inside a loader.
"""

from __future__ import annotations

from typing import Any

from anytok.errors import TokenizerFormatError

_MODELS = ("BPE", "Unigram", "WordPiece", "WordLevel")


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_hf_document(doc: Any, where: str) -> None:
    """Raise :class:`TokenizerFormatError` unless ``doc`` has the shape of a tokenizer.json."""
    def bad(field: str, should: str) -> TokenizerFormatError:
        return TokenizerFormatError(f"{where}: {field} {should}; fix the file or export it again from its source")

    if not isinstance(doc, dict):
        raise bad("the document", f"is a JSON {type(doc).__name__}, not an object")
    model = doc.get("model")
    if not isinstance(model, dict):
        raise bad("'model'", f"is {type(model).__name__}, not an object with 'type' and 'vocab'")
    kind = model.get("type", "BPE" if "merges" in model else None)
    if kind not in _MODELS:
        raise bad("'model.type'", f"is {kind!r}; anytok reads {', '.join(_MODELS)}")
    vocab = model.get("vocab")
    if kind == "Unigram":
        if not isinstance(vocab, list) or not all(
                isinstance(e, list) and len(e) == 2 and isinstance(e[0], str)
                and isinstance(e[1], (int, float)) and not isinstance(e[1], bool) for e in vocab):
            raise bad("'model.vocab'", "must be a list of [piece, score] pairs")
    else:
        if not isinstance(vocab, dict):
            raise bad("'model.vocab'", f"is {type(vocab).__name__}, not an object of token -> id")
        for token, i in vocab.items():
            if not _is_id(i):
                raise bad(f"'model.vocab'[{token!r}]", f"is {i!r}; ids are integers >= 0")
    merges = model.get("merges", [])
    if kind == "BPE":
        if not isinstance(merges, list):
            raise bad("'model.merges'", f"is {type(merges).__name__}, not a list")
        for k, m in enumerate(merges):
            pair_text = isinstance(m, str) and m.count(" ") >= 1
            pair_list = isinstance(m, list) and len(m) == 2 and all(isinstance(s, str) for s in m)
            if not (pair_text or pair_list):
                raise bad(f"'model.merges'[{k}]", f"is {m!r}; a merge is \"left right\" or [\"left\", \"right\"]")
    added = doc.get("added_tokens") or []
    if not isinstance(added, list):
        raise bad("'added_tokens'", f"is {type(added).__name__}, not a list")
    for k, t in enumerate(added):
        if not isinstance(t, dict) or not isinstance(t.get("content"), str) or not _is_id(t.get("id")):
            raise bad(f"'added_tokens'[{k}]", f"is {t!r}; each needs 'content' (text) and 'id' (integer >= 0)")
