"""Transplant SmolLM2-135M's vocabulary into Gemma-3-270M: anytok OMP vs mergekit-tokensurgeon OMP.

Both tools read the same HF folders (saved from the registry GGUFs by anytok.save_model) and run
as child processes under /usr/bin/time -v (wall time, peak RSS), on the same CPU, each after the
input folders were read once (page cache warm for both). Then bits per
byte on the first --kb KB of en_prose, code_python and code_mixed: the base model with its own
tokenizer, each transplanted model with the new tokenizer (the same tokenizer.json and BOS rule
for both). --reverse: SmolLM2 base, Gemma 3 donor (262k vocabulary), anytok only.

    python bench/transplant_vs_mergekit.py --work /tmp/anytok-bench --mergekit /tmp/mk-venv/bin/mergekit-tokensurgeon
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import subprocess
import sys
from pathlib import Path

from _results import save, summary_row

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FILES = ("en_prose", "code_python", "code_mixed")
CLASSES = {"smollm2-135m": "GPT2Tokenizer", "gemma3-270m": "GemmaTokenizer"}  # what mergekit expects


def prepare(work: Path, name: str) -> Path:
    """An HF folder of a registry model (tokenizer_class set so mergekit knows its word prefix)."""
    from anytok.models.load import load_model

    folder = work / "hf" / name
    if not folder.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        loaded = load_model(name)
        loaded.save(folder)
        del loaded
        gc.collect()
        config_path = folder / "tokenizer_config.json"
        config = json.loads(config_path.read_text())
        config["tokenizer_class"] = CLASSES[name]
        config_path.write_text(json.dumps(config, indent=1))
    return folder


def read_once(folders: list[Path]) -> None:
    """Read every file of ``folders``, so that the next timed tool finds its inputs in the page
    cache. This VM drops cached files in the background, so a tool read 0.3 GB of its inputs from
    disk in one run and nothing in the next; reading them first gives both tools the same start."""
    for folder in folders:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                with open(path, "rb") as f:
                    while f.read(1 << 24):
                        pass


def timed(cmd: list[str], log: Path) -> dict[str, float]:
    """Run ``cmd`` under /usr/bin/time -v; wall seconds, CPU seconds and peak RSS (MB) of the child."""
    with open(log, "w") as f:
        rc = subprocess.run(["/usr/bin/time", "-v", *cmd], stdout=f, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        sys.exit(f"{cmd[0]} failed (exit {rc}); see {log}")
    return parse_time_log(log)


def parse_time_log(log: Path) -> dict[str, float]:
    """Wall seconds, CPU (user + system) seconds and peak RSS (MB) from a /usr/bin/time -v log."""
    text = log.read_text(errors="replace")
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([\d.]+)", text).group(1)) for kind in ("User", "System"))
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", text)
    hours, minutes, seconds = (float(g) if g else 0.0 for g in wall.groups())
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    return {"seconds": hours * 3600 + minutes * 60 + seconds, "cpu_s": cpu, "peak_mb": rss / 1024}


def bpb_row(model_dir: Path, tokenizer_dir: Path, kb: int) -> dict[str, float]:
    """Bits per byte of a model folder on the first ``kb`` KB of each corpus file."""
    import anytok
    from anytok.eval.bpb import bits_per_byte, read_text
    from anytok.models.load import load_model

    loaded = load_model(model_dir)
    tok = anytok.load(tokenizer_dir)
    row = {}
    for name in FILES:
        data = read_text(SHARED / "corpus" / f"{name}.txt", max_bytes=kb * 1024)
        row[name] = bits_per_byte(loaded.model, tok, data, name=name).bpb
    del loaded
    gc.collect()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--mergekit", default=None, help="mergekit-tokensurgeon executable (else skipped)")
    parser.add_argument("--kb", type=int, default=60)
    parser.add_argument("--k", type=int, default=64)
    parser.add_argument("--reverse", action="store_true")
    parser.add_argument("--rerun", action="store_true", help="time anytok again even if its output exists")
    parser.add_argument("--mergekit-log", type=Path, default=None,
                        help="/usr/bin/time -v log of an earlier mergekit run whose output is already in --work")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    base_name, donor_name = ("smollm2-135m", "gemma3-270m") if args.reverse else ("gemma3-270m", "smollm2-135m")
    base, donor = prepare(args.work, base_name), prepare(args.work, donor_name)
    tag = f"{base_name}_to_{donor_name}"
    runs: dict[str, dict[str, float]] = {}
    anytok_out = args.work / f"anytok_{tag}"
    anytok_cmd = [str(Path(sys.executable).with_name("anytok")), "transplant", str(base), str(donor),
                  "-o", str(anytok_out), "--method", "omp", "--donor", str(donor), "--k", str(args.k), "--overwrite"]
    anytok_log = args.work / f"anytok_{tag}.log"
    if (anytok_out / "config.json").exists() and anytok_log.exists() and not args.rerun:
        runs["anytok omp"] = parse_time_log(anytok_log)  # reuse the timed run already in --work
    else:
        read_once([base, donor])
        runs["anytok omp"] = timed(anytok_cmd, anytok_log)
    outputs = {"anytok omp": anytok_out}
    if args.mergekit and not args.reverse:
        mk_out = args.work / f"mergekit_{tag}"
        mk_cmd = [args.mergekit, str(base), str(donor), str(mk_out), "--approximation-method", "omp", "-k", str(args.k)]
        if not (mk_out / "config.json").exists():
            read_once([base, donor])
            runs["mergekit omp"] = timed(mk_cmd, args.work / f"mergekit_{tag}.log")
        elif args.mergekit_log:
            runs["mergekit omp"] = parse_time_log(args.mergekit_log)
        outputs["mergekit omp"] = mk_out
    nan = {"seconds": float("nan"), "cpu_s": float("nan"), "peak_mb": float("nan")}
    rows = {f"base ({base_name})": {**bpb_row(base, base, args.kb), **nan}}
    for label, out in outputs.items():
        rows[label] = {**bpb_row(out, anytok_out, args.kb), **runs.get(label, nan)}
    print(f"| model | wall s | CPU s | peak RSS (MB) | {' | '.join(FILES)} |")
    print("|---|---:|---:|---:|" + "---:|" * len(FILES))
    for label, row in rows.items():
        print(f"| {label} | {row['seconds']:.1f} | {row['cpu_s']:.1f} | {row['peak_mb']:.0f} | "
              + " | ".join(f"{row[f]:.4f}" for f in FILES) + " |")
    if "mergekit omp" in rows and "mergekit omp" in runs:
        a, m = rows["anytok omp"], rows["mergekit omp"]
        print(f"\nmergekit / anytok time: {m['seconds'] / a['seconds']:.1f}x wall, {m['cpu_s'] / a['cpu_s']:.1f}x CPU")
    if "mergekit omp" in rows:
        base_row = rows[f"base ({base_name})"]
        rise = {label: sum(rows[label][f] - base_row[f] for f in FILES) for label in ("anytok omp", "mergekit omp")}
        print(f"bits-per-byte increase over the base (sum of files): anytok {rise['anytok omp']:+.3f}, "
              f"mergekit {rise['mergekit omp']:+.3f}, ratio {rise['anytok omp'] / rise['mergekit omp']:.2f}x")
    (args.work / f"results_{tag}.json").write_text(json.dumps(rows, indent=1))
    if "mergekit omp" in rows and not args.reverse:
        save(f"transplant_vs_mergekit-{args.kb}", order=70 if args.kb <= 4 else 71,
             summary=summary_of(rows, runs, args.kb, base_name), details={"k": args.k, "kb": args.kb, "rows": rows})


def summary_of(rows: dict, runs: dict, kb: int, base_name: str) -> list[dict]:
    """Summary-table rows: speed (when both tools were timed in this run) and bits per byte."""
    out = []
    a, m = rows["anytok omp"], rows["mergekit omp"]
    rise = {label: sum(rows[label][f] - rows[f"base ({base_name})"][f] for f in FILES)
            for label in ("anytok omp", "mergekit omp")}
    ratio = rise["anytok omp"] / rise["mergekit omp"]
    if "mergekit omp" in runs:
        out.append(summary_row(
            "Transplant vs mergekit: speed", f"{a['seconds']:.1f} s wall",
            f"mergekit-tokensurgeon 0.1.5: {m['seconds']:.1f} s wall",
            f"**{m['seconds'] / a['seconds']:.1f}x** wall, {m['cpu_s'] / a['cpu_s']:.1f}x CPU (target >= 20x)",
            f"bits/byte increase {ratio:.2f}x mergekit's ({kb} KB per file)", hardware="2-core CPU, no GPU"))
    out.append(summary_row(
        "Transplant bits per byte (OMP with donor)", f"{rise['anytok omp']:+.3f} bits/byte over the base (sum of "
        f"{len(FILES)} files)", f"mergekit OMP: {rise['mergekit omp']:+.3f}",
        f"**{ratio:.2f}x** (target <= 0.5x{'' if ratio <= 0.5 else ': not met'})", f"{kb} KB per file",
        hardware="2-core CPU, no GPU"))
    return out


if __name__ == "__main__":
    main()
