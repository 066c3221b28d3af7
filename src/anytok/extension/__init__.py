"""``anytok.extend``: add tokens learned on a domain corpus (and named tokens) to a pretrained model,
every old id and merge kept."""

from anytok.extend.core import NamedToken, extend, extended_tokenizer
from anytok.extend.merges import learn_merges

__all__ = ["NamedToken", "extend", "extended_tokenizer", "learn_merges"]
