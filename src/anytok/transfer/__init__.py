"""Transplant: a pretrained model with a new tokenizer (align by bytes, init rows, heal)."""

from anytok.transplant.align import Alignment, align
from anytok.transplant.core import INIT_METHODS, fill_rows, transplant
from anytok.transplant.folder import transplant_folder, transplant_to_folder
from anytok.transplant.heal import HealConfig, heal
from anytok.transplant.methods import InitConfig, Method
from anytok.transplant.omp import batch_omp, omp_reference

__all__ = ["INIT_METHODS", "Alignment", "HealConfig", "InitConfig", "Method", "align", "batch_omp",
           "fill_rows", "heal", "omp_reference", "transplant",
           "transplant_folder", "transplant_to_folder"]
