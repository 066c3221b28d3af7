"""Named pretokenizer patterns (for the ``regex`` module and for HF tokenizers' Split)."""

from __future__ import annotations

from anytok.errors import TrainingError

GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

CL100K = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*"""
    r"""|\s*[\r\n]|\s+(?!\S)|\s+"""
)

O200K = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)

LLAMA3 = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

QWEN3 = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

# SuperBPE's stage 2: after a non-space, non-digit, before a (space +) non-space, non-digit
_JOIN = r"(?<=[^\s\p{N}])(?=[^\s\p{N}]| [^\s\p{N}])"


def superword_pattern(subword_regex: str) -> str:
    """SuperBPE's stage-2 pretokenizer: runs of subword pretokens, each joined to the next where only
    text or one space lies between them (no digits, no newline, no run of spaces).

    A stage-2 pretoken is thus always a concatenation of whole stage-1 pretokens.
    """
    return f"(?:{subword_regex})(?:{_JOIN}(?:{subword_regex}))*"


NAMED_PATTERNS: dict[str, str] = {
    "gpt2": GPT2,
    "cl100k": CL100K,
    "o200k": O200K,
    "llama3": LLAMA3,
    "qwen3": QWEN3,
}


def resolve_pattern(name_or_regex: str) -> str:
    """Return the regex for a named pattern, or ``name_or_regex`` itself if it is not a name.

    A custom regex is compiled once with the ``regex`` module to fail early with a clear message.
    """
    if name_or_regex in NAMED_PATTERNS:
        return NAMED_PATTERNS[name_or_regex]
    import regex

    try:
        regex.compile(name_or_regex)
    except regex.error as e:
        names = ", ".join(NAMED_PATTERNS)
        raise TrainingError(
            f"pretokenizer pattern {name_or_regex!r} is neither a known name ({names}) nor a valid regex: {e}"
        ) from e
    return name_or_regex
