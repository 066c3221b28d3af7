"""Run an arena: every entrant x every seed on the same chunks, then one table.

Output folder: ``arena.json`` (every run, its learning curve and the intrinsic metrics),
``arena.md`` (the table), ``report.html`` (the table, learning curves, bits per byte against the
intrinsic metrics), and per run ``<entrant>/seed<k>/`` with ``checkpoint.safetensors`` and,
once it is done, ``run.json``. Running again with the same folder and config skips finished runs
and resumes an interrupted one from its last checkpoint.
"""

from __future__ import annotations

import json
import math
import os
import re
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

from anytok.arena.config import ArenaConfig, ArenaError
from anytok.arena.entrants import Entrant, parse_entrant


@dataclass(frozen=True)
class ArenaResult:
    """``runs``: one dict per entrant and seed (see :func:`anytok.arena.train.train_entrant`);
    ``intrinsic``: per entrant, held-out bytes per token and Renyi efficiency (tokenizers only)."""

    config: dict
    runs: list[dict]
    intrinsic: dict[str, dict]

    def summary(self) -> list[dict]:
        """Per entrant: mean and standard deviation of the final bits per byte over seeds, mean FLOPs
        and (when the runs were timed) mean wall seconds per run."""
        out = []
        for name in dict.fromkeys(r["entrant"] for r in self.runs):
            runs = [r for r in self.runs if r["entrant"] == name]
            bpbs = [r["bpb"] for r in runs]
            files = runs[0].get("bpb_by_file", {})
            by_file = {f: statistics.fmean(r["bpb_by_file"][f] for r in runs) for f in files}
            out.append({"entrant": name, "kind": runs[0]["kind"], "seeds": len(runs), "bpb": statistics.fmean(bpbs),
                        "bpb_by_file": by_file,
                        "bpb_std": statistics.stdev(bpbs) if len(bpbs) > 1 else 0.0,
                        "train_flops": statistics.fmean(r["train_flops"] for r in runs),
                        "parameters": runs[0]["parameters"], **self.intrinsic.get(name, {})})
            if all("seconds" in r for r in runs):  # runs saved before runs were timed have none
                out[-1]["seconds"] = statistics.fmean(r["seconds"] for r in runs)
        return out

    def correlations(self) -> dict[str, float | None]:
        """Spearman rank correlation, over the subword entrants, of bpb with each intrinsic metric
        (a lexinvariant entrant shares its tokenizer's metrics but not its model: left out)."""
        rows = [r for r in self.summary() if "bytes_per_token" in r and r["kind"] == "subword"]
        if len(rows) < 3:
            return {"bytes_per_token": None, "renyi_efficiency": None}
        return {m: spearman([r[m] for r in rows], [r["bpb"] for r in rows])
                for m in ("bytes_per_token", "renyi_efficiency")}

    def to_dict(self) -> dict:
        """Plain dict: config, runs, summary, correlations."""
        return {"config": self.config, "runs": self.runs, "summary": self.summary(),
                "correlations": self.correlations()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1) + "\n"

    def to_markdown(self) -> str:
        """The table: bits per byte (mean +- std over seeds), FLOPs, parameters, intrinsic metrics."""
        summary = self.summary()
        files = list(summary[0]["bpb_by_file"]) if summary and len(summary[0]["bpb_by_file"]) > 1 else []
        lines = ["| entrant | kind | held-out bits/byte | " + "".join(f"{f} | " for f in files)
                 + "seeds | train FLOPs | parameters | bytes/token | Renyi efficiency |",
                 "|---|---|---:|" + "---:|" * len(files) + "---:|---:|---:|---:|---:|"]
        for r in sorted(summary, key=lambda r: r["bpb"]):
            per = "".join(f"{r['bpb_by_file'][f]:.4f} | " for f in files)
            lines.append(f"| {r['entrant']} | {r['kind']} | {r['bpb']:.4f} +- {r['bpb_std']:.4f} | {per}{r['seeds']} | "
                         f"{r['train_flops']:.3g} | {r['parameters']:,} | {metric_cell(r, 'bytes_per_token')} | "
                         f"{metric_cell(r, 'renyi_efficiency')} |")
        corr = self.correlations()
        if corr["bytes_per_token"] is not None:
            lines.append(f"\nSpearman rank correlation with bits per byte: bytes/token {corr['bytes_per_token']:+.2f}, "
                         f"Renyi efficiency {corr['renyi_efficiency']:+.2f}.")
        return "\n".join(lines) + "\n"


def metric_cell(row: dict, name: str) -> str:
    """A summary row's tokenizer metric to three decimals; "-" for entrants without a tokenizer."""
    return f"{row[name]:.3f}" if name in row else "-"


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho (average ranks for ties)."""
    def ranks(v: Sequence[float]) -> list[float]:
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2
            i = j + 1
        return r

    rx, ry = ranks(x), ranks(y)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    norm = math.sqrt(sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry))
    return cov / norm if norm else 0.0


def read_chunks(paths: Sequence[str | os.PathLike], chunk_bytes: int, what: str) -> list[bytes]:
    """The files' bytes, cut at line ends into chunks of about ``chunk_bytes``."""
    from anytok.eval.bpb import chunk_text, read_text

    if not paths:
        raise ArenaError(f"no {what} files given")
    chunks = [c for p in paths for c in chunk_text(read_text(p), chunk_bytes=chunk_bytes)]
    return [c for c in chunks if c]


def run_arena(entrants: Sequence[str], *, train: Sequence[str | os.PathLike], held_out: Sequence[str | os.PathLike],
              config: ArenaConfig = ArenaConfig(), out: str | os.PathLike,
              progress: Callable[[str, int, int], None] | None = None) -> ArenaResult:
    """Train every entrant once per seed under ``config`` and compare them (see the module docstring).

    ``progress(run, step, steps)`` is called after every step."""
    from anytok._atomic import write_text_atomic

    import torch

    if config.device.startswith("cuda") and not torch.cuda.is_available():
        raise ArenaError(f"device {config.device!r} asked for, but torch sees no CUDA device; use --device cpu")
    parsed = [parse_entrant(e) for e in entrants]  # a bad name fails before any reading or training
    if len({e.name for e in parsed}) < len(parsed):
        raise ArenaError("an entrant is named twice; give each once")
    train_chunks = read_chunks(train, config.chunk_bytes, "training")
    eval_chunks, eval_files = [], {}
    for path in held_out:
        chunks = read_chunks([path], config.chunk_bytes, "held-out")
        name = _unique(Path(path).stem, eval_files)
        eval_files[name] = (len(eval_chunks), len(eval_chunks) + len(chunks), sum(len(c) for c in chunks))
        eval_chunks += chunks
    eval_bytes = sum(len(c) for c in eval_chunks)
    if eval_bytes < config.chunk_bytes:
        raise ArenaError(f"the held-out text has {eval_bytes} bytes, less than one chunk ({config.chunk_bytes}); "
                         "give more held-out text or a smaller --chunk-bytes")
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ArenaError(f"output {folder} is a file; give a folder (a rerun with the same folder resumes)")
    encoded = {e.name: (e.encode(train_chunks), e.encode(eval_chunks)) for e in parsed}  # every entrant, up front
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [len(c) for c in train_chunks]
    runs = []
    for entrant in parsed:
        train_seqs, eval_seqs = encoded[entrant.name]
        for seed in config.seeds:
            run_dir = folder / _slug(entrant.name) / f"seed{seed}"
            done = run_dir / "run.json"
            if done.exists():
                runs.append(json.loads(done.read_text()))
                continue
            run_dir.mkdir(parents=True, exist_ok=True)
            from anytok.arena.train import train_entrant

            tick = None if progress is None else (lambda s, n, name=f"{entrant.name} seed {seed}": progress(name, s, n))
            run = train_entrant(entrant, train_seqs, sizes, eval_seqs, eval_files, config, seed, run_dir, tick)
            write_text_atomic(done, json.dumps(run, indent=1) + "\n")
            runs.append(run)
    result = ArenaResult(config=asdict(config), runs=runs,
                         intrinsic={e.name: intrinsic(e, encoded[e.name][1], eval_bytes) for e in parsed
                                    if e.tokenizer is not None})
    write_text_atomic(folder / "arena.json", result.to_json())
    write_text_atomic(folder / "arena.md", result.to_markdown())
    from anytok.arena.report import render_arena_report

    write_text_atomic(folder / "report.html", render_arena_report(result))
    return result


def intrinsic(entrant: Entrant, eval_seqs: list[list[int]], eval_bytes: int) -> dict:
    """Held-out bytes per token and Renyi efficiency of the entrant's tokenizer (anytok.scoring's)."""
    from collections import Counter

    from anytok.scoring.metrics import renyi_efficiency

    counts = Counter(i for s in eval_seqs for i in s[1:])
    n_tokens = sum(counts.values())
    return {"bytes_per_token": eval_bytes / n_tokens,
            "renyi_efficiency": renyi_efficiency(counts.values(), entrant.vocab_size)}


def _unique(name: str, taken: dict) -> str:
    """``name``, or ``name-2``, ``name-3``, ... when a file of that name was given already."""
    out, k = name, 1
    while out in taken:
        k += 1
        out = f"{name}-{k}"
    return out


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)
