"""anytok: any language model, any tokenizer.

This is the public API; everything else is an implementation detail.

The verbs are functions (``anytok.train``, ``anytok.score``, ``anytok.transplant``, ``anytok.extend``);
their code lives in subpackages with other names (``anytok.training``, ``anytok.scoring``,
``anytok.transfer``, ``anytok.extension``), so ``import anytok.transfer.omp`` never meets a function.
Every name is imported on first use: ``import anytok`` loads neither torch nor transformers, and
the commands that do not run a model never pay for them.
"""

from anytok._lazy import lazy_exports
from anytok.errors import AnytokError

# public name -> the module that defines it
_HOMES = {
    "Tokenizer": "anytok.tokenizer",
    "load": "anytok.tokenizer",
    "train": "anytok.training",
    "count": "anytok.training",
    "score": "anytok.scoring",
    "Scorecard": "anytok.scoring",
    "compare": "anytok.scoring",
    "Comparison": "anytok.scoring",
    "bits_per_byte": "anytok.eval",
    "LoadedModel": "anytok.models",
    "load_model": "anytok.models",
    "save_model": "anytok.models",
    "list_models": "anytok.models",
    "fetch_model_file": "anytok.models",
    "transplant": "anytok.transfer",
    "transplant_to_folder": "anytok.transfer",
    "extend": "anytok.extension",
    "NamedToken": "anytok.extension",
    "ByteLM": "anytok.bytelm",
    "Ensemble": "anytok.bytelm",
}

__all__ = ["AnytokError", *_HOMES]
__version__ = "0.1.0"
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
