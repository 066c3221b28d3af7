"""``anytok.transplant``: give a pretrained model a new tokenizer without retraining it.

Align the vocabularies by bytes, copy the rows of shared tokens exactly, initialise the others by
a method (mean, fvt, hybrid, omp), optionally heal the new rows on text, and return a model that
saves as an HF folder. Rows of ids the new tokenizer never emits (gaps, padding) get the mean base
row in the input embeddings and LM head, so their logits are average logits, never random ones.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any, Callable

import torch

from anytok.errors import TransplantError
from anytok.models.load import LoadedModel, load_model
from anytok.models.save import sync_config
from anytok.tokenizer import Tokenizer
from anytok.transfer.align import Alignment, align
from anytok.transfer.healing import HealConfig, heal
from anytok.transfer.hybrid import init_hybrid
from anytok.transfer.methods import Matrices, init_fvt, init_mean, init_omp, usable_mean
from anytok.transfer.options import DEFAULT_POOL, InitConfig, Method

log = logging.getLogger(__name__)

InitFn = Callable[[Matrices, Alignment, InitConfig], torch.Tensor]
INIT_METHODS: dict[Method, InitFn] = {
    Method.MEAN: init_mean,
    Method.FVT: init_fvt,
    Method.HYBRID: init_hybrid,
    Method.OMP: init_omp,
}


def fill_rows(base: torch.Tensor, alignment: Alignment, method: Method, config: InitConfig,
              donor: torch.Tensor | None = None) -> torch.Tensor:
    """The (V_new, D) matrix: shared rows copied, missing rows by ``method``, unused rows the mean.

    base: (V_base_rows, D) float weights; donor: (V_new_rows, D_donor) for OMP.
    """
    base = base.detach().float()
    mean = usable_mean(base, alignment)  # (D,)
    rows = None
    if alignment.missing:
        matrices = Matrices(base=base, donor=None if donor is None else donor.detach().float(), mean=mean)
        rows = INIT_METHODS[method](matrices, alignment, config)
    return place_rows(base, alignment, rows, mean)


def place_rows(base: torch.Tensor, alignment: Alignment, missing_rows: torch.Tensor | None,
               mean: torch.Tensor) -> torch.Tensor:
    """The (V_new, D) matrix: shared rows copied from ``base``, ``missing_rows`` (len(missing), D)
    at the missing ids, ``mean`` (D,) everywhere else."""
    out = mean.expand(alignment.new.vocab_size, -1).clone()  # (V_new, D)
    new_ids = torch.tensor(list(alignment.shared), dtype=torch.long)
    out[new_ids] = base[torch.tensor(list(alignment.shared.values()), dtype=torch.long)]
    if alignment.missing:
        out[torch.tensor(alignment.missing)] = missing_rows.to(out.dtype)
    return out


def _as_loaded(model: LoadedModel | str | os.PathLike) -> LoadedModel:
    return model if isinstance(model, LoadedModel) else load_model(model)


def check_hypernet(method: Method, hypernet: str | os.PathLike | None) -> None:
    """Raise :class:`TransplantError` when a hypernetwork is given to another method. (Method
    hypernet without one uses the network shipped for the base, if any: :mod:`anytok.hypernet.shipped`.)"""
    if method is not Method.HYPERNET and hypernet is not None:
        raise TransplantError(f"--hypernet is only used by --method hypernet, not {method.value}; drop "
                              "--hypernet or pass --method hypernet")


def check_donor(donor: Tokenizer | None, new: Tokenizer, method: Method, *, source: str = "donor") -> None:
    """Raise :class:`TransplantError` unless OMP has a donor whose tokenizer is ``new``.

    donor: the donor model's tokenizer (None when no donor was given); source: where it came from.
    """
    if method is not Method.OMP:
        return
    if donor is None:
        raise TransplantError("method 'omp' needs a donor model that already uses the new tokenizer; "
                              "pass --donor, or use --method fvt or hybrid")
    if donor.vocab != new.vocab:
        raise TransplantError(
            f"donor {source} reads tokenizer {donor.name!r} ({donor.vocab_size} ids), "
            f"which is not the new tokenizer {new.name!r} ({new.vocab_size} ids); give a donor trained "
            "with the new tokenizer")


def parse_method(method: Method | str) -> Method:
    """``method`` as a :class:`Method`; an unknown name raises :class:`TransplantError`."""
    try:
        return Method(method)
    except ValueError:
        raise TransplantError(f"unknown method {method!r}; choose one of "
                              f"{', '.join(m.value for m in Method)}") from None


def new_matrices(alignment: Alignment, method: Method, config: InitConfig, emb: torch.Tensor,
                 head: torch.Tensor | None, donor_emb: torch.Tensor | None = None,
                 donor_head: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(new input embeddings (V_new, D), new LM head (V_new, D) or None when tied).

    emb, head: the base's (V_base_rows, D) matrices; donor_emb, donor_head: the donor's for OMP
    (a tied donor gives its embeddings for both).
    """
    log.info("%d of %d new tokens shared with the base, %d missing, %d unused", len(alignment.shared),
             alignment.new.vocab_size, len(alignment.missing), len(alignment.unused))
    if method is Method.HYPERNET:  # one network writes both matrices (anytok.hypernet sits above us)
        from anytok.hypernet.transfer import hypernet_matrices

        return hypernet_matrices(alignment, config, emb, head)
    new_emb = fill_rows(emb, alignment, method, config, donor_emb)
    new_head = None if head is None else fill_rows(head, alignment, method, config,
                                                   donor_head if donor_head is not None else donor_emb)
    return new_emb, new_head


def model_matrices(model: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(input embeddings, LM head or None when tied)."""
    emb = model.get_input_embeddings().weight
    head = model.get_output_embeddings().weight
    return emb, (None if head is emb or head.data_ptr() == emb.data_ptr() else head)


def _install(model: Any, emb: torch.Tensor, head: torch.Tensor | None) -> None:
    """Resize the model to the new rows and write them (the tie, if any, is kept)."""
    dtype = model.get_input_embeddings().weight.dtype
    model.resize_token_embeddings(emb.shape[0], mean_resizing=False)
    with torch.no_grad():
        model.get_input_embeddings().weight.copy_(emb.to(dtype))
        if head is not None:
            model.get_output_embeddings().weight.copy_(head.to(dtype))


def output_tokenizer(new: Tokenizer, base: Tokenizer) -> Tokenizer:
    """The new tokenizer with the base model's BOS convention (a model trained with BOS needs it).

    Only ``add_bos`` differs, so the copy shares ``new``'s document and encoder.
    """
    return new.with_roles(add_bos=bool(base.add_bos and new.bos_id is not None))


def transplant(base: LoadedModel | str | os.PathLike, new_tokenizer: Tokenizer | str | os.PathLike, *,
               method: Method | str = Method.FVT, donor: LoadedModel | str | os.PathLike | None = None,
               k: int = 64, pool: int | None = DEFAULT_POOL, device: str = "cpu",
               hypernet: str | os.PathLike | None = None, heal_steps: int = 0, heal_text: bytes | None = None,
               heal_config: HealConfig | None = None,
               heal_progress: Callable[[int], None] | None = None) -> LoadedModel:
    """Give ``base`` the vocabulary of ``new_tokenizer``; returns a model you can ``.save(out)``.

    The base model is modified in place (load it again to keep the original). ``donor`` (method
    omp) is a model that already uses the new tokenizer; ``hypernet`` (method hypernet) the folder
    of a hypernetwork trained for ``base``. With ``heal_steps`` > 0 the new rows are trained on
    ``heal_text`` while everything else stays frozen, by ``heal_config.objective``: the LM loss, or
    distillation from the base model with its own tokenizer.
    """
    import anytok

    method = parse_method(method)
    check_hypernet(method, hypernet)
    config = InitConfig(k=k, pool=pool, device=device, hypernet=None if hypernet is None else str(hypernet))
    new = new_tokenizer if isinstance(new_tokenizer, Tokenizer) else anytok.load(new_tokenizer)
    base = _as_loaded(base)
    donor_model = None if donor is None or method is not Method.OMP else _as_loaded(donor)
    check_donor(None if donor_model is None else donor_model.tokenizer, new, method,
                source="" if donor_model is None else donor_model.source)
    alignment = align(base.tokenizer, new)
    cfg = heal_config or HealConfig(steps=heal_steps, device=device)
    teacher = None
    if heal_steps and cfg.objective == "distill":  # the base as it is now, before its rows change
        import copy

        teacher = LoadedModel(model=copy.deepcopy(base.model), tokenizer=base.tokenizer, source=base.source)
    emb, head = model_matrices(base.model)
    d_emb, d_head = model_matrices(donor_model.model) if donor_model is not None else (None, None)
    new_emb, new_head = new_matrices(alignment, method, config, emb, head, d_emb, d_head)
    del donor_model
    _install(base.model, new_emb, new_head)
    tok = output_tokenizer(new, base.tokenizer)
    sync_config(base.model, tok)
    result = LoadedModel(model=base.model, tokenizer=tok, source=f"{base.source} + {new.name} ({method.value})")
    if heal_steps:
        if not heal_text:
            raise TransplantError("heal_steps > 0 needs heal_text; pass --heal-text FILE")
        heal(result.model, tok, heal_text, trainable_ids=alignment.missing + alignment.unused,
             config=dataclasses.replace(cfg, steps=heal_steps), progress=heal_progress, teacher=teacher)
    return result

