"""anytok ByteLM vs genlm-bytes (beam of K tokenizations): the next-byte distribution at every
position of the same text, same model (SmolLM2-135M, GGUF dequantised to float32, CPU).

genlm-bytes lives in its own venv and runs as a subprocess of this script:

    python3 -m venv /tmp/genlm-venv && /tmp/genlm-venv/bin/pip install genlm-bytes==0.2.0
    python bench/bytelm_vs_genlm.py --model smollm2-135m --bytes 2048 --genlm-bytes 64 \
        --genlm-python /tmp/genlm-venv/bin/python

Reported: bytes per second, bits per byte, token positions run through the model per byte. The
batched anytok run covers the whole text once; its rows for the first --genlm-bytes bytes give
that prefix's bits per byte and a pro-rata share of the time and positions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import subprocess
import sys
import time
from pathlib import Path

from _results import save, summary_row

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


def text_bytes(n: int, offset: int) -> bytes:
    return (SHARED / "en_prose.txt").read_bytes()[offset:offset + n]


def run_anytok(model_path: str, data: bytes, genlm_bytes: int, step_bytes: int, *, warm_text: bytes,
               genlm_start_id: int | None) -> list[dict]:
    """Next-byte distribution at every position with anytok.ByteLM, two ways:

    - ``byte_logprobs``: the whole text is known (scoring, ensembles): covers batched by tree attention;
      once on a fresh ByteLM (cold: the canonical filter builds its tables as it goes) and once on a
      ByteLM that has first read ``warm_text`` (another part of the file: what a corpus scan sees);
    - ``next_byte_logprobs``: one prefix at a time, as generation asks (KV cache reused), without and
      with generation's lookahead (the likely next bytes' queries prefetched in the same forward).
    """
    from anytok.bytelm import ByteLM
    from anytok.bytelm.base import text_logprob
    from anytok.bytelm.core import bits
    from anytok.models.load import load_model

    from anytok.eval.bpb import bits_per_byte

    loaded = load_model(model_path)
    t0 = time.time()
    token_level = bits_per_byte(loaded.model, loaded.tokenizer, data, chunk_bytes=len(data) + 1)
    rows = [dict(engine="token-level scoring (reference: one forward, no byte distributions)", K="-",
                 bytes=len(data), seconds=time.time() - t0, bpb=token_level.bpb,
                 positions=token_level.n_tokens)]
    lm = ByteLM(loaded.model, loaded.tokenizer)
    t0 = time.time()
    lp = lm.byte_logprobs(data)
    seconds = time.time() - t0
    for n in (genlm_bytes, len(data)):
        rows.append(dict(engine="anytok byte_logprobs (batched, cold)", K="-", bytes=n, seconds=seconds * n / len(data),
                         bpb=bits(text_logprob(lp, data[:n]), n), positions=lm.token_positions * n / len(data)))
    lm = ByteLM(loaded.model, loaded.tokenizer)
    lm.byte_logprobs(warm_text)
    start_positions, t0 = lm.token_positions, time.time()
    lp = lm.byte_logprobs(data)
    rows.append(dict(engine=f"anytok byte_logprobs (batched, after reading another {len(warm_text)} B)", K="-",
                     bytes=len(data), seconds=time.time() - t0, bpb=bits(text_logprob(lp, data), len(data)),
                     positions=lm.token_positions - start_positions))
    if genlm_start_id is not None:  # the start token genlm-bytes puts first, for a like-for-like bits per byte
        lm = ByteLM(loaded.model, loaded.tokenizer, start_id=genlm_start_id)
        head = data[:genlm_bytes]
        t0 = time.time()
        lp = lm.byte_logprobs(head)
        rows.append(dict(engine=f"anytok byte_logprobs (batched, start token {genlm_start_id} as genlm-bytes)", K="-",
                         bytes=len(head), seconds=time.time() - t0, bpb=bits(text_logprob(lp, head), len(head)),
                         positions=lm.token_positions))
    for lookahead in (False, True):
        lm = ByteLM(loaded.model, loaded.tokenizer, lookahead=lookahead)
        total, t0 = 0.0, time.time()
        for k in range(step_bytes):
            lm.prepare_step(data[:k])  # what generate() does before each step
            total += float(lm.next_byte_logprobs(data[:k])[data[k]])
        label = "with lookahead" if lookahead else "no lookahead"
        rows.append(dict(engine=f"anytok next_byte_logprobs (one prefix at a time, {label})", K="-",
                         bytes=step_bytes, seconds=time.time() - t0, bpb=bits(total, step_bytes),
                         positions=lm.token_positions))
    return rows


async def _genlm(model_path: str, data: bytes, K: int) -> dict:
    import torch
    from genlm.backend.llm import AsyncTransformer
    from genlm.bytes import BeamParams, ByteBeamState
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(model_path)
    tok = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32).eval()
    seen = {"positions": 0}
    model.register_forward_pre_hook(
        lambda mod, args, kwargs: seen.__setitem__("positions", seen["positions"] + int(
            (kwargs.get("input_ids") if kwargs.get("input_ids") is not None else args[0]).numel())),
        with_kwargs=True)
    llm = AsyncTransformer(model, tok)
    beam = await ByteBeamState.initial(llm, BeamParams(K=K))
    total, t0 = 0.0, time.time()
    for b in data:
        logps = await beam.logp_next()
        total += float(logps.ps[b])
        beam = await (beam.prune() << b)
    return dict(engine="genlm-bytes", K=K, bytes=len(data), seconds=time.time() - t0,
                bpb=-total / (len(data) * math.log(2)), positions=seen["positions"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--bytes", type=int, default=2048, help="bytes for anytok (batched)")
    ap.add_argument("--step-bytes", type=int, default=256, help="bytes for anytok one prefix at a time")
    ap.add_argument("--genlm-bytes", type=int, default=48, help="bytes for genlm-bytes (a prefix of the same text)")
    ap.add_argument("--offset", type=int, default=200_000)
    ap.add_argument("--K", type=int, nargs="*", default=[1, 8, 32])
    ap.add_argument("--genlm-python", default=None, help="python of the genlm-bytes venv")
    ap.add_argument("--genlm-start-id", type=int, default=None,
                    help="also score the genlm-bytes text with this start token (genlm-bytes' BOS)")
    ap.add_argument("--worker-genlm", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    if args.worker_genlm is not None:
        print(json.dumps(asyncio.run(_genlm(args.model, text_bytes(args.genlm_bytes, args.offset), args.worker_genlm))))
        return
    rows = []
    if args.genlm_python:
        for K in args.K:
            out = subprocess.run([args.genlm_python, __file__, "--model", args.model, "--genlm-bytes",
                                  str(args.genlm_bytes), "--offset", str(args.offset), "--worker-genlm", str(K)],
                                 capture_output=True, text=True, check=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(rows[-1], file=sys.stderr, flush=True)
    warm = text_bytes(args.bytes, args.offset - args.bytes)
    rows += run_anytok(args.model, text_bytes(args.bytes, args.offset), args.genlm_bytes, args.step_bytes,
                       warm_text=warm, genlm_start_id=args.genlm_start_id)
    k8 = next((r for r in rows if r["engine"] == "genlm-bytes" and r["K"] == 8), None)
    print("| engine | K | bytes | bytes/s | x genlm-bytes K=8 | bits/byte | token positions/byte |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        speed = r["bytes"] / r["seconds"]
        ratio = f"{speed / (k8['bytes'] / k8['seconds']):.1f}" if k8 else "-"
        print(f"| {r['engine']} | {r['K']} | {r['bytes']} | {speed:.3f} | {ratio} | {r['bpb']:.4f} | "
              f"{r['positions'] / r['bytes']:.2f} |")
    save("bytelm_vs_genlm", order=40, summary=[summary_of(rows, args.bytes)] if k8 else [],
         details={"model": args.model, "offset": args.offset, "rows": rows})


def summary_of(rows: list[dict], n: int) -> dict:
    """The summary-table row: anytok's batched scans of the whole text against genlm-bytes K=8."""
    genlm = {r["K"]: r for r in rows if r["engine"] == "genlm-bytes"}
    speeds = [r["bytes"] / r["seconds"] for r in rows if r["engine"].startswith("anytok byte_logprobs")
              and r["bytes"] == n]
    peer = genlm[8]["bytes"] / genlm[8]["seconds"]
    same = next((r for r in rows if "as genlm-bytes" in r["engine"]), None)
    widest = genlm[max(genlm)]
    quality = (f"{same['bpb']:.4f} vs {widest['bpb']:.4f} bits/byte (genlm-bytes K={max(genlm)}, same start token)"
               if same else f"genlm-bytes K={max(genlm)}: {widest['bpb']:.4f} bits/byte")
    return summary_row("ByteLM vs genlm-bytes", f"{min(speeds):.3f}-{max(speeds):.3f} bytes/s",
                       f"genlm-bytes 0.2.0 K=8: {peer:.3f} bytes/s",
                       f"**{min(speeds) / peer:.0f}x-{max(speeds) / peer:.0f}x** (target >= 100x)", quality,
                       hardware="2-core CPU, no GPU")


if __name__ == "__main__":
    main()
