"""Leave-anchors-out on real models: hide 5% of the shared tokens, rebuild their rows, compare.

Base Gemma-3-270M with SmolLM2-135M as donor (new vocabulary = SmolLM2's), and the reverse pair.
Prints the mean and median cosine similarity of rebuilt to true base rows per init method.

    python bench/transplant_leave_out.py --work /tmp/anytok-bench
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

from _results import save, summary_row

from anytok.transfer.options import DEFAULT_POOL

PAIRS = (("gemma3-270m", "smollm2-135m"), ("smollm2-135m", "gemma3-270m"))


def run_pair(work: Path, base_name: str, donor_name: str, fraction: float, k: int, pool: int,
             methods: list[str]) -> list[str]:
    from anytok.models.load import load_model
    from anytok.transfer import align
    from anytok.transfer.evaluate import leave_anchors_out
    from anytok.transfer.options import InitConfig

    def folder(name: str) -> str:
        path = work / "hf" / name
        return str(path) if path.exists() else name

    base, donor = load_model(folder(base_name)), load_model(folder(donor_name))
    alignment = align(base.tokenizer, donor.tokenizer)
    start = time.perf_counter()
    results = leave_anchors_out(base.model.get_input_embeddings().weight, alignment,
                                donor=donor.model.get_input_embeddings().weight, fraction=fraction, methods=methods,
                                config=InitConfig(k=k, pool=pool))
    seconds = time.perf_counter() - start
    lines = [f"| {base_name} | {donor_name} | {r.method} | {r.hidden} | {r.mean_cosine:.4f} | {r.median_cosine:.4f} |"
             for r in results]
    records = [{"base": base_name, "donor": donor_name, "method": r.method, "hidden": r.hidden,
                "mean_cosine": r.mean_cosine, "median_cosine": r.median_cosine} for r in results]
    del base, donor
    gc.collect()
    print(f"{base_name} <- {donor_name}: {seconds:.1f} s for {', '.join(methods)}", flush=True)
    return lines, records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("."), help="folder with hf/<name> model folders")
    parser.add_argument("--fraction", type=float, default=0.05)
    parser.add_argument("--k", type=int, default=64)
    parser.add_argument("--pool", type=int, default=DEFAULT_POOL)
    parser.add_argument("--methods", default="mean,fvt,hybrid,omp", help="comma-separated init methods")
    args = parser.parse_args()
    lines, records = [], []
    for base_name, donor_name in PAIRS:
        more, found = run_pair(args.work, base_name, donor_name, args.fraction, args.k, args.pool,
                               args.methods.split(","))
        lines, records = lines + more, records + found
    print("| base | donor | method | hidden tokens | mean cosine | median cosine |")
    print("|---|---|---|---:|---:|---:|")
    print("\n".join(lines))
    methods = {r["method"] for r in records}
    full = "omp" in methods and len(methods) > 1
    save("transplant_leave_out", order=80, summary=[summary_of(records)] if full else [],
         details={"fraction": args.fraction, "k": args.k, "pool": args.pool, "rows": records})


def summary_of(records: list[dict]) -> dict:
    """The summary-table row: OMP (with the donor) against the best donor-free method, per base."""
    bases = list(dict.fromkeys(r["base"] for r in records))
    omp = {r["base"]: r["mean_cosine"] for r in records if r["method"] == "omp"}
    free = {b: max((r for r in records if r["base"] == b and r["method"] != "omp"), key=lambda r: r["mean_cosine"])
            for b in bases}
    return summary_row("Leave-anchors-out", "OMP: mean cosine " + ", ".join(f"{omp[b]:.4f} ({b} base)" for b in bases),
                       "best donor-free: " + ", ".join(f"{free[b]['method']} {free[b]['mean_cosine']:.4f} ({b} base)"
                                                      for b in bases),
                       "-", f"cosine to the true rows of {records[0]['hidden']} hidden anchors")


if __name__ == "__main__":
    main()
