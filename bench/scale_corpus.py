"""Assemble a large corpus of distinct text for bench/train_scale.py, from text this machine can install.

Sources, in this order, until --mb megabytes (no file twice: files are deduplicated by sha256):
1. the shared corpus (../shared/corpus: en_prose, code_python, code_mixed, 63 parallel files; see
   its MANIFEST.md for licences);
2. Python's standard library sources (.py, .rst, .txt; PSF License 2.0);
3. the .py files of the packages installed in this venv (each under the licence in its
   *.dist-info: BSD, MIT, Apache-2.0, PSF, ...);
4. the Linux kernel source from Debian's ``linux-source-6.1`` package (.c, .h, .rst, .txt, .py,
   .S; GPL-2.0 with the syscall note; fetched with ``apt-get download`` into --downloads).

Files that are not UTF-8 or hold a NUL byte are skipped. The text is written as ~64 MB shards
``OUT/corpus-NNN.txt`` (each file's text ends with a newline), and ``OUT/MANIFEST.md`` lists what
each source gave.

    python bench/scale_corpus.py --mb 1100 --out /tmp/scale --downloads /tmp/debs
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path
from typing import Iterator

SHARED = Path(os.environ.get("ANYTOK_SHARED", Path(__file__).resolve().parents[1] / ".." / "shared"))
SHARD_BYTES = 64_000_000
TEXT_SUFFIXES = {".py", ".rst", ".txt", ".c", ".h", ".S", ".md"}
KERNEL_PACKAGE = "linux-source-6.1"


def shared_files() -> Iterator[tuple[str, bytes]]:
    corpus = SHARED / "corpus"
    for name in ("en_prose", "code_python", "code_mixed"):
        yield name, (corpus / f"{name}.txt").read_bytes()
    for path in sorted((corpus / "parallel").glob("*.txt")):
        yield path.name, path.read_bytes()


def tree_files(root: Path, suffixes=TEXT_SUFFIXES, skip: str = "") -> Iterator[tuple[str, bytes]]:
    for path in sorted(root.rglob("*")):
        if skip and skip in path.relative_to(root).parts:
            continue
        if path.suffix in suffixes and path.is_file() and not path.is_symlink():
            yield str(path.relative_to(root)), path.read_bytes()


def kernel_files(downloads: Path) -> Iterator[tuple[str, bytes]]:
    """The files of the Linux source tarball inside Debian's linux-source package."""
    downloads.mkdir(parents=True, exist_ok=True)
    debs = sorted(downloads.glob(f"{KERNEL_PACKAGE}_*.deb"))
    if not debs:
        subprocess.run(["apt-get", "download", KERNEL_PACKAGE], cwd=downloads, check=True)
        debs = sorted(downloads.glob(f"{KERNEL_PACKAGE}_*.deb"))
    unpacked = downloads / "unpacked"
    if not unpacked.exists():
        subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(unpacked)], check=True)
    tarball = next(unpacked.rglob("linux-source-*.tar.xz"))
    with tarfile.open(tarball) as tar:
        for member in tar:
            if member.isfile() and Path(member.name).suffix in TEXT_SUFFIXES:
                yield member.name, tar.extractfile(member).read()  # type: ignore[union-attr]


def usable(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=1100)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--downloads", type=Path, default=Path("/tmp/anytok-debs"))
    args = ap.parse_args()
    target = int(args.mb * 1_000_000)
    args.out.mkdir(parents=True, exist_ok=True)
    site = Path(sysconfig.get_paths()["purelib"])
    sources = [
        ("shared corpus (../shared/corpus/MANIFEST.md)", shared_files()),
        (f"Python {sys.version.split()[0]} standard library (PSF-2.0)", tree_files(Path(sysconfig.get_paths()["stdlib"]), skip="site-packages")),
        ("installed packages' .py files (licences in their *.dist-info)", tree_files(site, {".py"})),
        (f"Linux kernel, Debian {KERNEL_PACKAGE} (GPL-2.0 WITH Linux-syscall-note)", kernel_files(args.downloads)),
    ]
    seen: set[bytes] = set()
    written, shard_index, shard_size = 0, 0, 0
    shard = open(args.out / "corpus-000.txt", "wb")
    manifest = ["# Scale corpus", "", f"{target / 1e6:.0f} MB requested; distinct files only (sha256).", "",
                "| source | files | MB |", "|---|---:|---:|"]
    for label, files in sources:
        n_files, n_bytes = 0, 0
        for _, data in files:
            digest = hashlib.sha256(data).digest()
            if digest in seen or not data.strip() or not usable(data):
                continue
            seen.add(digest)
            if not data.endswith(b"\n"):
                data += b"\n"
            if shard_size >= SHARD_BYTES:
                shard.close()
                shard_index += 1
                shard = open(args.out / f"corpus-{shard_index:03d}.txt", "wb")
                shard_size = 0
            shard.write(data)
            shard_size += len(data)
            written += len(data)
            n_files += 1
            n_bytes += len(data)
            if written >= target:
                break
        manifest.append(f"| {label} | {n_files:,} | {n_bytes / 1e6:.1f} |")
        if written >= target:
            break
    shard.close()
    manifest += ["", f"Total: {written / 1e6:.1f} MB in {shard_index + 1} shards."]
    (args.out / "MANIFEST.md").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    print("\n".join(manifest))


if __name__ == "__main__":
    main()
