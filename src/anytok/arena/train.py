"""Train one entrant for one seed: the same chunks in the same order as every other entrant,
AdamW with linear warmup and cosine decay, held-out bits per byte along the way, a safetensors
checkpoint after each evaluation (a rerun resumes from it)."""

from __future__ import annotations

import contextlib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from anytok.arena.config import ArenaConfig, ModelShape
from anytok.arena.entrants import Entrant
from anytok.arena.flops import hierarchical_training_flops, training_flops
from anytok.arena.hierarchical import HierarchicalLM, split_words
from anytok.arena.model import ArenaLM
from anytok.transfer.healing import pad_sequences


@dataclass
class Plan:
    """The batches of one seed: ``batches[s]`` are the chunk indices of step s; ``bytes``/``flops``
    the cumulative training bytes and FLOPs after each step."""

    batches: list[list[int]]
    bytes: list[int] = field(default_factory=list)
    flops: list[float] = field(default_factory=list)


def chunk_order(n_chunks: int, seed: int, needed: int) -> list[int]:
    """``needed`` chunk indices: shuffled epochs of ``range(n_chunks)``, the same for every entrant."""
    rng = np.random.default_rng(seed)
    out: list[int] = []
    while len(out) < needed:
        out += rng.permutation(n_chunks).tolist()
    return out[:needed]


def make_plan(chunk_sizes: list[int], chunk_flops: list[float], config: ArenaConfig, seed: int) -> Plan:
    """Steps until the byte budget (or the FLOP budget) is spent; ``chunk_flops[i]``: what
    training on chunk i costs this entrant (:func:`chunk_flops`)."""
    mean = max(1.0, sum(chunk_sizes) / len(chunk_sizes))
    order = chunk_order(len(chunk_sizes), seed, needed=int(config.budget_bytes / mean * 1.5) + config.batch_size)
    plan = Plan([])
    seen, flops, k = 0, 0.0, 0
    while seen < config.budget_bytes and (config.budget_flops is None or flops < config.budget_flops):
        if k + config.batch_size > len(order):
            order += chunk_order(len(chunk_sizes), seed + len(order), needed=len(order))
        batch = order[k:k + config.batch_size]
        k += config.batch_size
        seen += sum(chunk_sizes[i] for i in batch)
        flops += sum(chunk_flops[i] for i in batch)
        plan.batches.append(batch)
        plan.bytes.append(seen)
        plan.flops.append(flops)
    return plan


def chunk_flops(entrant: Entrant, seqs: list[list[int]], shape: ModelShape) -> list[float]:
    """Training FLOPs of each of the entrant's sequences (:mod:`anytok.arena.flops`)."""
    if entrant.kind == "hierarchical":
        return [hierarchical_training_flops(shape, len(s), [len(w) for w in split_words(bytes(s))]) for s in seqs]
    return [training_flops(shape, entrant.vocab_size, [len(s)]) for s in seqs]


def build_model(entrant: Entrant, shape: ModelShape) -> torch.nn.Module:
    """The entrant's model, freshly initialised (seed the torch RNG first)."""
    if entrant.kind == "hierarchical":
        return HierarchicalLM(shape)
    return ArenaLM(shape, entrant.vocab_size, lexinvariant=entrant.kind == "lexinvariant")


def learning_rate(step: int, steps: int, config: ArenaConfig) -> float:
    """Linear warmup over ``warmup`` of the steps, then cosine down to 10% of the peak."""
    warm = max(1, int(config.warmup * steps))
    if step < warm:
        return config.lr * (step + 1) / warm
    progress = (step - warm) / max(1, steps - warm)
    return config.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def held_out_bits(model: torch.nn.Module, seqs: list[list[int]], device: str) -> list[float]:
    """Bits of each held-out sequence: every token after the context token, by anytok eval's code
    (:func:`anytok.eval.bpb.sequence_bits`); for the hierarchical model, every byte."""
    from anytok.eval.bpb import sequence_bits

    model.eval()
    if isinstance(model, HierarchicalLM):
        with torch.no_grad():
            bits = [-float(b) / math.log(2) for k in range(0, len(seqs), 16)
                    for b in model.chunk_logprobs([bytes(s) for s in seqs[k:k + 16]])]
    else:
        bits = sequence_bits(model, seqs, n_context=1, device=device)
    model.train()
    return bits


def batch_loss(model: torch.nn.Module, seqs: list[list[int]], seeds: list[int], device: str) -> torch.Tensor:
    """Mean cross-entropy (nats) per predicted token (byte, for the hierarchical model)."""
    if isinstance(model, HierarchicalLM):
        return -model.chunk_logprobs([bytes(s) for s in seqs]).sum() / sum(len(s) for s in seqs)
    ids, mask = pad_sequences(seqs, device)
    logits = model(input_ids=ids, attention_mask=mask, seeds=seeds).logits[:, :-1].float()  # (B, T-1, V)
    targets = ids[:, 1:].masked_fill(~mask[:, 1:], -100)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                             ignore_index=-100)


def train_entrant(entrant: Entrant, train_seqs: list[list[int]], chunk_sizes: list[int], eval_seqs: list[list[int]],
                  eval_files: dict[str, tuple[int, int, int]], config: ArenaConfig, seed: int, folder: Path,
                  progress: Callable[[int, int], None] | None = None) -> dict:
    """Train ``entrant`` on ``train_seqs`` (its encoding of the shared chunks) and return its run:
    final bits per byte (all held-out text, and per file: ``eval_files[name]`` is the file's
    (first sequence, end, bytes)), the learning curve, bytes, FLOPs, parameters, seconds. Resumes from
    ``folder/checkpoint.safetensors`` when one is there for the same plan."""
    began = time.perf_counter()
    eval_bytes = sum(n for _, _, n in eval_files.values())
    by_file: dict[str, float] = {}
    torch.manual_seed(seed)
    device = config.device
    model = build_model(entrant, config.shape).to(device)
    plan = make_plan(chunk_sizes, chunk_flops(entrant, train_seqs, config.shape), config, seed)
    steps = len(plan.batches)
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.dim() == 2]
    rest = [p for n, p in model.named_parameters() if p.requires_grad and p.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                             {"params": rest, "weight_decay": 0.0}], lr=config.lr, betas=(0.9, 0.95))
    eval_at = sorted({max(1, round(steps * (k + 1) / config.evals)) for k in range(config.evals)})
    curve: list[dict] = []
    start = 0
    ckpt = folder / "checkpoint.safetensors"
    if ckpt.exists():
        start, curve = load_checkpoint(ckpt, model, opt, steps)
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if device.startswith("cuda") else contextlib.nullcontext()
    model.train()
    for step in range(start, steps):
        for group in opt.param_groups:
            group["lr"] = learning_rate(step, steps, config)
        batch = plan.batches[step]
        seeds = [seed * 1_000_003 + step * len(batch) + j for j in range(len(batch))]
        with amp:
            loss = batch_loss(model, [train_seqs[i] for i in batch], seeds, device)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step + 1 in eval_at:
            bits = held_out_bits(model, eval_seqs, device)
            bpb = sum(bits) / eval_bytes
            by_file = {name: sum(bits[a:b]) / n for name, (a, b, n) in eval_files.items()}
            curve.append({"step": step + 1, "train_bytes": plan.bytes[step], "train_flops": plan.flops[step],
                          "train_loss": float(loss.detach()), "bpb": bpb, "bpb_by_file": by_file})
            save_checkpoint(ckpt, model, opt, step + 1, steps, curve)
        if progress is not None:
            progress(step + 1, steps)
    return {"entrant": entrant.name, "kind": entrant.kind, "seed": seed, "steps": steps,
            "train_bytes": plan.bytes[-1], "train_flops": plan.flops[-1],
            "train_tokens": sum(len(train_seqs[i]) for b in plan.batches for i in b),
            "parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "bpb": curve[-1]["bpb"], "bpb_by_file": by_file or curve[-1].get("bpb_by_file", {}), "curve": curve,
            "seconds": time.perf_counter() - began}  # wall time of this call (after a resume: since the resume)


def save_checkpoint(path: Path, model: torch.nn.Module, opt: torch.optim.Optimizer, step: int, steps: int,
                    curve: list[dict]) -> None:
    """Model weights and Adam moments in one safetensors file (temporary name, then renamed)."""
    from safetensors.torch import save_file

    names = {id(p): n for n, p in model.named_parameters()}
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    for p, state in opt.state.items():
        for key in ("exp_avg", "exp_avg_sq"):
            tensors[f"{key}.{names[id(p)]}"] = state[key].detach().cpu().contiguous()
        tensors[f"adam_step.{names[id(p)]}"] = torch.as_tensor(state["step"]).reshape(1).float().cpu()
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata={"step": str(step), "steps": str(steps), "curve": json.dumps(curve)})
    tmp.replace(path)


def load_checkpoint(path: Path, model: torch.nn.Module, opt: torch.optim.Optimizer, steps: int) -> tuple[int, list[dict]]:
    """Restore a checkpoint of the same plan; (step to go on from, curve so far)."""
    from safetensors import safe_open

    from anytok.arena.config import ArenaError

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        if int(meta["steps"]) != steps:
            raise ArenaError(f"{path} was written by a run of {meta['steps']} steps, this one has {steps}; "
                             "use another output folder or delete the checkpoint")
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    for name, p in model.named_parameters():
        if f"exp_avg.{name}" in tensors:
            opt.state[p] = {"exp_avg": tensors[f"exp_avg.{name}"].to(p.device),
                            "exp_avg_sq": tensors[f"exp_avg_sq.{name}"].to(p.device),
                            "step": tensors[f"adam_step.{name}"].reshape(()).clone()}
    return int(meta["step"]), json.loads(meta["curve"])
