"""Transplant between HF safetensors folders at tensor level: no transformers model is built.

Only the embedding / LM head tensors of the base (and the donor) are read; the output folder is
the base folder with those tensors replaced, config.json updated and the new tokenizer files, the
same folder that ``transplant(...).save(out)`` writes for a float32 base (a bf16 or fp16 base
keeps its dtype here, where the model path writes float32). Healing needs the model: use
:func:`anytok.transfer.transplant` for it, and for GGUF files and registry names.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable

import torch

from anytok._atomic import atomic_dir
from anytok.errors import TransplantError
from anytok.models.safetensors_folder import (EmbeddingLayout, check_embedding_rows, embedding_layout, read_tensor,
                                              write_folder_files)
from anytok.models.save import special_ids
from anytok.models.shard_copy import KeptTensorCopy
from anytok.tokenizer import Tokenizer
from anytok.transfer.align import align
from anytok.transfer.core import check_donor, check_hypernet, new_matrices, output_tokenizer, parse_method
from anytok.transfer.healing import HealConfig
from anytok.transfer.options import DEFAULT_POOL, InitConfig, Method

log = logging.getLogger(__name__)


def folder_layouts(base: object, donor: object | None, *, heal_steps: int = 0
                   ) -> tuple[EmbeddingLayout, EmbeddingLayout | None] | None:
    """The layouts of ``base`` and ``donor`` when the tensor-level path applies, else None.

    It applies when no healing is asked and base (and donor, if any) are HF safetensors folders
    whose embeddings this path can find.
    """
    if heal_steps or not isinstance(base, (str, os.PathLike)):
        return None
    if donor is not None and not isinstance(donor, (str, os.PathLike)):
        return None
    base_layout = embedding_layout(base)
    donor_layout = None if donor is None else embedding_layout(donor)
    if base_layout is None or (donor is not None and donor_layout is None):
        return None
    return base_layout, donor_layout


def transplant_folder(base: str | os.PathLike, new_tokenizer: Tokenizer | str | os.PathLike,
                      out: str | os.PathLike, *, method: Method | str = Method.FVT,
                      donor: str | os.PathLike | None = None, k: int = 64, pool: int | None = DEFAULT_POOL,
                      device: str = "cpu", hypernet: str | os.PathLike | None = None,
                      overwrite: bool = False) -> Path:
    """Write to ``out`` the HF folder ``base`` with the vocabulary of ``new_tokenizer``; return ``out``.

    Same rows as :func:`anytok.transfer.transplant` (same alignment and init methods); raises
    :class:`~anytok.errors.ModelError` when ``base`` or ``donor`` is not an HF safetensors folder
    this path can read (load it with ``transplant`` instead).
    """
    from anytok.errors import ModelError

    method = parse_method(method)
    check_hypernet(method, hypernet)
    config = InitConfig(k=k, pool=pool, device=device, hypernet=None if hypernet is None else str(hypernet))
    layouts = folder_layouts(base, donor if method is Method.OMP else None)
    if layouts is None:
        raise ModelError(f"{base} (or donor {donor}) is not an HF safetensors folder whose embedding "
                         "tensors anytok can find; use anytok.transfer.transplant, which loads the model")
    base_layout, donor_layout = layouts
    replaced = {base_layout.embed} | ({base_layout.head} if base_layout.head is not None else set())
    # the other tensors are copied on a thread while the tokenizers are read and the rows computed
    with (atomic_dir(out, overwrite=overwrite) as tmp,
          KeptTensorCopy(base_layout.folder, base_layout.files, tmp, replaced) as copy):
        tok, new_emb, new_head = _new_rows(base_layout, donor_layout, new_tokenizer, method, config,
                                           source=str(donor))
        copy.write({base_layout.embed: new_emb, **({base_layout.head: new_head} if base_layout.head else {})})
        updates = {"vocab_size": int(new_emb.shape[0]), **special_ids(tok)}
        write_folder_files(base_layout, tmp, config_updates=updates, tokenizer=tok)
    log.info("wrote %s (%s replaced) at tensor level", out, ", ".join(sorted(replaced)))
    return Path(out)


def _new_rows(base_layout: EmbeddingLayout, donor_layout: EmbeddingLayout | None,
              new_tokenizer: Tokenizer | str | os.PathLike, method: Method, config: InitConfig, *, source: str
              ) -> tuple[Tokenizer, torch.Tensor, torch.Tensor | None]:
    """(output tokenizer, new embeddings (V_new, D), new LM head (V_new, D) or None when tied)."""
    import anytok

    new = new_tokenizer if isinstance(new_tokenizer, Tokenizer) else anytok.load(new_tokenizer)
    base_tok = _model_tokenizer(base_layout.folder)
    donor_tok = None
    if donor_layout is not None:  # the donor folder is often given as the new tokenizer too: read it once
        same = not isinstance(new_tokenizer, Tokenizer) and _same_file(new_tokenizer, donor_layout.folder)
        donor_tok = new if same else _model_tokenizer(donor_layout.folder)
    check_donor(donor_tok, new, method, source=source)
    emb, head = _matrices(base_layout, base_tok)
    d_emb, d_head = (None, None) if donor_layout is None else _matrices(donor_layout, donor_tok)
    alignment = align(base_tok, new)
    new_emb, new_head = new_matrices(alignment, method, config, emb, head, d_emb, d_head)
    return output_tokenizer(new, base_tok), new_emb, new_head


def _model_tokenizer(folder: Path) -> Tokenizer:
    """A model folder's tokenizer, its HF encoder left unbuilt: the rows need the base's only for
    the pieces of some new tokens, which :meth:`Tokenizer.encode_few` encodes without it (Gemma 3's
    takes 1.7 s to build), and the donor's never. The model was used with it: no check needed."""
    from anytok.tokenizer import load as load_tokenizer
    from anytok.tokenizer.load import load_hf_json

    path = folder / "tokenizer.json"
    return load_hf_json(path, lazy_encoder=True) if path.exists() else load_tokenizer(folder)


def _same_file(tokenizer: str | os.PathLike, folder: Path) -> bool:
    """Whether the tokenizer source ``tokenizer`` is the tokenizer.json of the model ``folder``."""
    path = Path(tokenizer)
    path = path / "tokenizer.json" if path.is_dir() else path
    own = folder / "tokenizer.json"
    return path.exists() and own.exists() and path.resolve() == own.resolve()


def _matrices(layout: EmbeddingLayout, tok: Tokenizer) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(embeddings (V_rows, D), LM head (V_rows, D) or None when tied) of a folder, checked against ``tok``."""
    emb = read_tensor(layout, layout.embed)
    check_embedding_rows(int(emb.shape[0]), tok, where=str(layout.folder))
    head = None if layout.head is None else read_tensor(layout, layout.head)
    return emb, head


def transplant_to_folder(base: object, new_tokenizer: Tokenizer | str | os.PathLike, out: str | os.PathLike, *,
                         method: Method | str = Method.FVT, donor: object | None = None, k: int = 64,
                         pool: int | None = DEFAULT_POOL, device: str = "cpu",
                         hypernet: str | os.PathLike | None = None, heal_steps: int = 0,
                         heal_text: bytes | None = None, heal_progress: Callable[[int], None] | None = None,
                         heal_config: HealConfig | None = None, overwrite: bool = False) -> Path:
    """Transplant and save to ``out``: at tensor level when base (and donor) are safetensors folders
    and no heal is asked, else through the transformers model (GGUF, registry names, heal)."""
    from anytok.outputs import check_output_folder
    from anytok.transfer.core import transplant

    omp = parse_method(method) is Method.OMP
    if donor is not None and not omp:
        raise TransplantError(f"a donor is only used by method omp, not {parse_method(method).value}; "
                              "drop the donor or use method omp")
    check_hypernet(parse_method(method), hypernet)
    paths = [x for x in (base, new_tokenizer, donor, hypernet) if isinstance(x, (str, os.PathLike))]
    check_output_folder(out, inputs=paths, overwrite=overwrite)  # before minutes of work, not after
    if folder_layouts(base, donor if omp else None, heal_steps=heal_steps) is not None:
        return transplant_folder(base, new_tokenizer, out, method=method, donor=donor, k=k, pool=pool,
                                 device=device, hypernet=hypernet, overwrite=overwrite)
    result = transplant(base, new_tokenizer, method=method, donor=donor, k=k, pool=pool, device=device,
                        hypernet=hypernet, heal_steps=heal_steps, heal_text=heal_text, heal_progress=heal_progress,
                        heal_config=heal_config)
    result.model.to("cpu")
    return result.save(out, overwrite=overwrite)
