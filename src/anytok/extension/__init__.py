"""``anytok.extend``: add tokens learned on a domain corpus (and named tokens) to a pretrained model,
every old id and merge kept."""

from anytok.extension.core import NamedToken, extend, extended_tokenizer
from anytok.extension.merges import learn_merges

__all__ = ["NamedToken", "extend", "extended_tokenizer", "learn_merges"]
