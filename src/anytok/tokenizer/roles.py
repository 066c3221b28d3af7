"""Special tokens by role (bos, eos, pad, unk, ...), whatever a tokenizer calls them."""

from __future__ import annotations

from typing import Any, Mapping

ROLES = ("bos", "eos", "pad", "unk", "mask", "sep", "cls")

# Spellings seen in the wild, per role, most specific first.
_KNOWN_NAMES: dict[str, tuple[str, ...]] = {
    "bos": ("<|begin_of_text|>", "<bos>", "<s>", "<|startoftext|>", "<|im_start|>"),
    "eos": ("<|end_of_text|>", "<eos>", "</s>", "<|endoftext|>", "<|im_end|>"),
    "pad": ("<pad>", "<|pad|>", "[PAD]", "<|finetune_right_pad_id|>"),
    "unk": ("<unk>", "[UNK]", "<|unk|>"),
    "mask": ("<mask>", "[MASK]"),
    "sep": ("[SEP]",),
    "cls": ("[CLS]",),
}


def _config_token(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return value.get("content")
    return None


def roles_from_config(config: Mapping[str, Any], vocab: Mapping[str, int]) -> dict[str, int]:
    """Roles named in a transformers tokenizer_config.json (``bos_token``: "<s>", ...)."""
    roles = {}
    for role in ROLES:
        content = _config_token(config.get(f"{role}_token"))
        if content is not None and content in vocab:
            roles[role] = vocab[content]
    return roles


def guess_roles(special_tokens: Mapping[str, int]) -> dict[str, int]:
    """Roles from the usual spellings of special tokens; a role with no known spelling is left out."""
    roles = {}
    for role, names in _KNOWN_NAMES.items():
        for name in names:
            if name in special_tokens:
                roles[role] = special_tokens[name]
                break
    return roles
