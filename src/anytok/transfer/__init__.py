"""Transfer: a pretrained model with a new tokenizer (align by bytes, init rows, heal).

Its options (:class:`Method`, :class:`InitConfig`) and the alignment are torch-free; the rest imports
torch on first use.
"""

from anytok._lazy import lazy_exports
from anytok.transfer.align import Alignment, align
from anytok.transfer.options import DEFAULT_POOL, InitConfig, Method

_HOMES = {
    "INIT_METHODS": "anytok.transfer.core", "fill_rows": "anytok.transfer.core", "transplant": "anytok.transfer.core",
    "transplant_folder": "anytok.transfer.folder", "transplant_to_folder": "anytok.transfer.folder",
    "HealConfig": "anytok.transfer.healing", "heal": "anytok.transfer.healing",
    "batch_omp": "anytok.transfer.omp", "omp_reference": "anytok.transfer.omp",
}
__all__ = ["DEFAULT_POOL", "Alignment", "InitConfig", "Method", "align", *_HOMES]
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
