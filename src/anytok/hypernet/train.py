"""Training a hypernetwork for one base model, the model frozen.

Each step draws texts from the corpus and a tokenizer (sampled from the texts' substrings, or one
of the real tokenizers given), encodes the texts with it into a batch vocabulary, predicts the rows
of the entries the base lacks (base tokens keep their rows, as transplant copies them), and
minimises the frozen model's next-token loss over that vocabulary plus ``aux_weight`` times the
auxiliary loss: the squared distance of the predictions for random base tokens to their true rows,
relative to the rows' mean squared norm (ZeTT's), plus ``compose_weight`` times the same distance
for base tokens predicted from the two tokens their last merge joined (the token itself hidden):
a regression target for the very task, composing a row from pieces, that costs no model call.
Only hypernetwork parameters are in the optimiser.

Step ``s`` draws its data from ``random.Random(f"{seed}:{s}")``, so a run is deterministic for a
seed and a resumed run sees the batches the uninterrupted one would have.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import random
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from anytok.eval.bpb import chunk_text, context_prefix
from anytok.hypernet.frozen import base_matrices, lm_loss
from anytok.hypernet.model import HyperNet, HyperNetConfig
from anytok.hypernet.predict import RowPredictor
from anytok.hypernet.sampling import BatchEncoder, EncodedBatch, SamplerConfig
from anytok.hypernet.store import (HyperNetError, base_identity, check_base, load_hypernet, load_optimizer,
                                   read_config, save_hypernet)
from anytok.models.load import LoadedModel
from anytok.tokenizer import Tokenizer
from anytok.transfer.healing import pad_sequences

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Steps, batch shape, optimiser and loss weights of hypernetwork training (validated)."""

    steps: int = 1000
    batch_size: int = 8
    text_bytes: int = 512     # bytes per training text (cut on line ends)
    max_tokens: int = 160     # tokens per sequence at most, context token included
    lr: float = 5e-4
    warmup: int = 50
    weight_decay: float = 0.01
    negatives: int = 512
    aux_weight: float = 0.5
    aux_tokens: int = 256
    compose_weight: float = 0.5
    real_share: float = 0.5   # share of steps on a real tokenizer, when some are given
    seed: int = 0
    device: str = "cpu"
    checkpoint_every: int = 50

    def __post_init__(self) -> None:
        if (self.steps < 0 or self.batch_size < 1 or self.text_bytes < 16 or self.max_tokens < 2 or self.lr <= 0
                or self.negatives < 0 or self.aux_weight < 0 or self.compose_weight < 0 or not 0 <= self.real_share <= 1
                or self.checkpoint_every < 1):
            raise HyperNetError(f"bad hypernet training config {self}")

    def lr_at(self, step: int) -> float:
        """Linear warmup, then cosine decay to a tenth of ``lr`` at ``steps``."""
        if step < self.warmup:
            return self.lr * (step + 1) / self.warmup
        t = (step - self.warmup) / max(1, self.steps - self.warmup)
        return self.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(t, 1.0))))


@dataclasses.dataclass(frozen=True)
class StepReport:
    """What one training step measured."""

    step: int
    loss: float       # next-token loss (nats per token) over the batch vocabulary
    aux: float        # auxiliary loss (base tokens from themselves)
    compose: float    # base tokens from their merge parts
    tokens: int       # tokens predicted
    new_rows: int     # batch-vocabulary entries the hypernetwork predicted
    seconds: float


def training_texts(data: Sequence[bytes], text_bytes: int) -> list[str]:
    """The corpus cut into texts of at most ``text_bytes`` bytes on line ends."""
    texts = [c.decode("utf-8", errors="replace") for d in data for c in chunk_text(d, chunk_bytes=text_bytes)]
    texts = [t for t in texts if t.strip()]
    if not texts:
        raise HyperNetError("the hypernet training corpus holds no text; give files with text in them")
    return texts


class HyperNetTrainer:
    """Holds the frozen base, the hypernetwork, its optimiser and the data of one training run."""

    def __init__(self, base: LoadedModel, texts: Sequence[str], config: TrainConfig = TrainConfig(), *,
                 net_config: HyperNetConfig | None = None, tokenizers: Sequence[Tokenizer] = (),
                 sampler: SamplerConfig = SamplerConfig()) -> None:
        self.base, self.config, self.tokenizers = base, config, list(tokenizers)
        self.texts = list(texts)
        self.model = base.model.to(config.device).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        emb, head = base_matrices(self.model)
        self.emb, self.head = emb.float(), (None if head is None else head.float())
        net_config = net_config or HyperNetConfig(embed_dim=emb.shape[1], tied=head is None)
        if net_config.tied != (head is None) or net_config.embed_dim != emb.shape[1]:
            raise HyperNetError(f"hypernet config {net_config} does not fit the base "
                                f"({emb.shape[1]}-wide, {'tied' if head is None else 'untied'})")
        torch.manual_seed(config.seed)
        self.net = HyperNet(net_config).to(config.device)
        self.rows = RowPredictor(self.net, base.tokenizer, self.emb, self.head)
        self.encoder = BatchEncoder(base.tokenizer, context_prefix(base.tokenizer), negatives=config.negatives,
                                    config=sampler)
        self.optimizer = torch.optim.AdamW(self.net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        self.step = 0
        self._ordinary = sorted(base.tokenizer.ordinary_index.values())
        self._mean_sq = float((self.emb ** 2).sum(1).mean())
        self._merged = sorted(self.rows._pieces._merge_parts.items())  # (base id, (left, right))

    # -- one step ---------------------------------------------------------------------------------
    def batch(self, step: int) -> EncodedBatch:
        """The encoded batch of step ``step`` (a function of the seed and the step only)."""
        rng = random.Random(f"{self.config.seed}:{step}")
        texts = [self.texts[rng.randrange(len(self.texts))] for _ in range(self.config.batch_size)]
        if self.tokenizers and rng.random() < self.config.real_share:
            return self.encoder.real(self.tokenizers[rng.randrange(len(self.tokenizers))], texts, rng)
        return self.encoder.sampled(texts, rng)

    def _rows(self, batch: EncodedBatch) -> tuple[torch.Tensor, torch.Tensor, int]:
        """(input rows (V_b, D), head rows (V_b, D), number predicted) of a batch vocabulary."""
        known = [j for j, b in enumerate(batch.base_ids) if b is not None]
        guess = batch.predicted
        known_src = torch.tensor([batch.base_ids[j] for j in known], dtype=torch.long)
        size = (len(batch.tokens), self.emb.shape[1])
        p_emb, p_head = self.rows([batch.tokens[j] for j in guess])
        rows_in = self.emb.new_zeros(size).index_copy(0, torch.tensor(known, dtype=torch.long), self.emb[known_src])
        rows_in = rows_in.index_copy(0, torch.tensor(guess, dtype=torch.long), p_emb)
        if self.head is None:
            return rows_in, rows_in, len(guess)
        rows_out = self.head.new_zeros(size).index_copy(0, torch.tensor(known, dtype=torch.long), self.head[known_src])
        rows_out = rows_out.index_copy(0, torch.tensor(guess, dtype=torch.long), p_head)
        return rows_in, rows_out, len(guess)

    def _distance(self, ids: list[int], pred_in: torch.Tensor, pred_out: torch.Tensor | None) -> torch.Tensor:
        """Mean squared distance of predicted rows to the true rows of base ``ids``, relative."""
        idx = torch.tensor(ids, dtype=torch.long)
        loss = ((pred_in - self.emb[idx]) ** 2).sum(1).mean()
        if pred_out is not None:
            loss = loss + ((pred_out - self.head[idx]) ** 2).sum(1).mean()
        return loss / self._mean_sq

    def _aux(self, rng: random.Random) -> torch.Tensor:
        """ZeTT's auxiliary loss: random base tokens, read as themselves, kept near their rows."""
        ids = rng.sample(self._ordinary, min(self.config.aux_tokens, len(self._ordinary)))
        return self._distance(ids, *self.rows([self.base.tokenizer.token_bytes(i) for i in ids]))

    def _compose(self, rng: random.Random) -> torch.Tensor:
        """Random merged base tokens predicted from their two merge parts, kept near their rows."""
        picked = rng.sample(self._merged, min(self.config.aux_tokens, len(self._merged)))
        lists = [list(parts) for _, parts in picked]
        pred_in, pred_out = self.net(lists, self.emb, self.head, self.rows.mean_emb, self.rows.mean_head)
        return self._distance([i for i, _ in picked], pred_in, pred_out)

    def train_step(self) -> StepReport:
        """One optimiser step; returns what it measured."""
        start = time.perf_counter()
        step = self.step
        batch = self.batch(step)
        ids, mask = pad_sequences([s[: self.config.max_tokens] for s in batch.sequences], self.config.device)
        self.net.train()
        rows_in, rows_out, n_new = self._rows(batch)
        loss, n = lm_loss(self.model, rows_in, rows_out, ids, mask)
        aux_rng = random.Random(f"{self.config.seed}:{step}:aux")
        aux = self._aux(aux_rng) if self.config.aux_weight else loss.new_zeros(())
        compose = self._compose(aux_rng) if self.config.compose_weight and self._merged else loss.new_zeros(())
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.lr_at(step)
        self.optimizer.zero_grad(set_to_none=True)
        (loss + self.config.aux_weight * aux + self.config.compose_weight * compose).backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
        self.optimizer.step()
        self.step += 1
        return StepReport(step=step, loss=float(loss.detach()), aux=float(aux.detach()),
                          compose=float(compose.detach()), tokens=n, new_rows=n_new,
                          seconds=time.perf_counter() - start)

    # -- checkpoints ------------------------------------------------------------------------------
    def _optimizer_tensors(self) -> dict[str, torch.Tensor]:
        state = self.optimizer.state_dict()["state"]
        return {f"{i}.{k}": v for i, s in state.items() for k, v in s.items() if torch.is_tensor(v)}

    def save(self, folder: str | Path) -> Path:
        """Write a checkpoint (weights, optimiser, config with the step reached) into ``folder``."""
        training = {**dataclasses.asdict(self.config), "step": self.step,
                    "tokenizers": [t.name for t in self.tokenizers]}
        identity = base_identity(self.base.tokenizer, self.emb, self.base.source)
        return save_hypernet(folder, self.net, identity, training=training, optimizer=self._optimizer_tensors())

    def resume(self, folder: str | Path) -> bool:
        """Load the checkpoint in ``folder`` if there is one; returns whether it did."""
        if not (Path(folder) / "config.json").exists():
            return False
        doc = read_config(folder)
        check_base(doc, self.base.tokenizer, self.emb, where=str(folder))
        saved = {k: v for k, v in doc["training"].items() if k not in ("step", "tokenizers", "steps", "checkpoint_every")}
        mine = {k: v for k, v in dataclasses.asdict(self.config).items() if k in saved}
        if saved != mine:
            diff = sorted(k for k in saved if saved[k] != mine.get(k))
            raise HyperNetError(f"{folder} holds a run with other settings ({', '.join(diff)}); resume with the "
                                "same settings or train into a new folder")
        net, _ = load_hypernet(folder)
        self.net.load_state_dict(net.state_dict())
        tensors = load_optimizer(folder) or {}
        state: dict[int, dict[str, Any]] = {}
        for key, value in tensors.items():
            i, name = key.split(".", 1)
            state.setdefault(int(i), {})[name] = value.to(self.config.device)
        if state:
            sd = self.optimizer.state_dict()
            sd["state"] = state
            self.optimizer.load_state_dict(sd)
        self.step = int(doc["training"]["step"])
        return True


def train_hypernet(base: LoadedModel, data: Sequence[bytes], out: str | Path, config: TrainConfig = TrainConfig(), *,
                   tokenizers: Sequence[Tokenizer] = (), net_config: HyperNetConfig | None = None,
                   on_step: Callable[[StepReport], None] | None = None) -> HyperNetTrainer:
    """Train (or resume) a hypernetwork for ``base`` on ``data`` (corpus bytes) into folder ``out``."""
    trainer = HyperNetTrainer(base, training_texts(data, config.text_bytes), config, net_config=net_config,
                              tokenizers=tokenizers)
    if trainer.resume(out):
        log.info("resumed %s at step %d of %d", out, trainer.step, config.steps)
    since: list[StepReport] = []
    while trainer.step < config.steps:
        report = trainer.train_step()
        since.append(report)
        if on_step is not None:
            on_step(report)
        if trainer.step % config.checkpoint_every == 0 or trainer.step == config.steps:
            trainer.save(out)
            n = len(since)
            log.info("step %d: loss %.4f, aux %.4f, compose %.4f, %.0f tokens/s (mean of the last %d steps)",
                     trainer.step, sum(r.loss for r in since) / n, sum(r.aux for r in since) / n,
                     sum(r.compose for r in since) / n, sum(r.tokens for r in since) / sum(r.seconds for r in since), n)
            since = []
    if config.steps == 0 or not (Path(out) / "config.json").exists():
        trainer.save(out)
    return trainer
