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
    del base, donor
    gc.collect()
    print(f"{base_name} <- {donor_name}: {seconds:.1f} s for {', '.join(methods)}", flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("."), help="folder with hf/<name> model folders")
    parser.add_argument("--fraction", type=float, default=0.05)
    parser.add_argument("--k", type=int, default=64)
    parser.add_argument("--pool", type=int, default=DEFAULT_POOL)
    parser.add_argument("--methods", default="mean,fvt,hybrid,omp", help="comma-separated init methods")
    args = parser.parse_args()
    lines = []
    for base_name, donor_name in PAIRS:
        lines += run_pair(args.work, base_name, donor_name, args.fraction, args.k, args.pool, args.methods.split(","))
    print("| base | donor | method | hidden tokens | mean cosine | median cosine |")
    print("|---|---|---|---:|---:|---:|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
