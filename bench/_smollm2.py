"""The SmolLM2-135M base as an HF safetensors folder under a bench's work folder (saved once from
the registry GGUF, so each row loads it in seconds)."""

from __future__ import annotations

from pathlib import Path


def smollm2_folder(work: Path) -> Path:
    """``work/hf/smollm2-135m``, written from the registry model the first time."""
    from anytok.models.load import load_model
    from anytok.models.save import save_model

    source = work / "hf" / "smollm2-135m"
    if not source.exists():
        source.parent.mkdir(parents=True, exist_ok=True)
        base = load_model("smollm2-135m")
        save_model(base.model, base.tokenizer, source)
    return source
