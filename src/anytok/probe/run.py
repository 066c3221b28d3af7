"""Run the probe suites on models and write probe.json, probe.md and report.html."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from anytok.probe.card import ProbeCard, SuiteResult, compare_markdown, differences
from anytok.probe.config import ProbeConfig, ProbeError
from anytok.probe.runner import ProbeModel

log = logging.getLogger(__name__)


def run_suite(model: ProbeModel, suite: str, config: ProbeConfig, *, text: str | None = None,
              code: str | None = None) -> SuiteResult:
    """One suite on one model (``text``/``code`` replace the shipped prose / Python sample)."""
    from anytok.probe import chars, encodings, numbers, perturb
    from anytok.probe import code as code_suite

    if suite == "chars":
        return chars.run(model, limit=config.limit, seed=config.seed)
    if suite == "numbers":
        return numbers.run(model, limit=config.limit, seed=config.seed)
    if suite == "encodings":
        return encodings.run(model, limit=config.limit, seed=config.seed, source=text)
    if suite == "perturb":
        return perturb.run(model, limit=config.limit, seed=config.seed, source=text)
    return code_suite.run(model, limit=config.limit, seed=config.seed, source=code)


def probe_model(model: ProbeModel, config: ProbeConfig, *, text: str | None = None, code: str | None = None,
                progress: Callable[[str, str], None] | None = None) -> ProbeCard:
    """Every suite of ``config`` on one model; ``progress(model, suite)`` is called as each starts."""
    start = time.perf_counter()
    results = {}
    for suite in config.suites:
        if progress is not None:
            progress(model.name, suite)
        began = time.perf_counter()
        result = run_suite(model, suite, config, text=text, code=code)
        results[suite] = dataclasses.replace(result, seconds=time.perf_counter() - began)
        log.info("%s: %s done (%.0f s in)", model.name, suite, time.perf_counter() - start)
    return ProbeCard(model.name, model.tokenizer.name, results, config.limit, config.seed, time.perf_counter() - start)


def _read(path: str | os.PathLike | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ProbeError(f"cannot read the {what} file {path} ({e}); give a UTF-8 text file") from None
    if not text.strip():
        raise ProbeError(f"the {what} file {path} is empty; give one with at least one line")
    return text


def run_probes(models: Sequence[str | os.PathLike | ProbeModel], config: ProbeConfig, *,
               out: str | os.PathLike | None = None, text: str | os.PathLike | None = None,
               code: str | os.PathLike | None = None,
               progress: Callable[[str, str], None] | None = None) -> list[ProbeCard]:
    """Probe each model (a registry name, .gguf file, HF folder, or a :class:`ProbeModel`) and,
    with ``out``, write probe.json (every card, and the paired differences of the first two
    models), probe.md and report.html there, each atomically."""
    from anytok._atomic import write_text_atomic

    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise ProbeError(f"output {out} is a file; give a folder")
    if config.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise ProbeError(f"device {config.device!r} asked for, but torch sees no CUDA device; use --device cpu")
    text_source, code_source = _read(text, "text"), _read(code, "code")
    if code_source is not None:
        _check_code(code_source, code)
    cards = []
    for source in models:
        model = source if isinstance(source, ProbeModel) else _load(source, config.device)
        cards.append(probe_model(model, config, text=text_source, code=code_source, progress=progress))
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        doc: dict[str, Any] = {"config": {"suites": list(config.suites), "limit": config.limit, "seed": config.seed},
                               "cards": [json.loads(c.to_json()) for c in cards]}
        if len(cards) >= 2:
            doc["differences"] = differences(cards[0], cards[1])
        write_text_atomic(folder / "probe.json", json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
        write_text_atomic(folder / "probe.md", compare_markdown(cards))
        from anytok.probe.report import render_probe_report

        write_text_atomic(folder / "report.html", render_probe_report(cards))
    return cards


def _load(source: str | os.PathLike, device: str) -> ProbeModel:
    from anytok.models.load import load_model

    loaded = load_model(source)
    return ProbeModel(loaded.model, loaded.tokenizer, name=Path(str(source)).stem if os.sep in str(source)
                      else str(source), device=device)


def _check_code(source: str, path: Any) -> None:
    import ast

    from anytok.probe.code import SEPARATOR

    for k, func in enumerate(f for f in source.split(SEPARATOR) if f.strip()):
        try:
            ast.parse(func)
        except SyntaxError as e:
            raise ProbeError(f"function {k} of the code file {path} does not parse ({e.msg}, line {e.lineno}); "
                             f"give Python functions separated by {SEPARATOR.strip()!r} lines") from None
