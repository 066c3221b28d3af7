"""Build the compiled BPE merge core and pretoken scanner; everything else is configured in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("anytok.training._bpe_core", ["src/anytok/training/_bpe_core.c"], extra_compile_args=["-O3"],
                  depends=["src/anytok/training/_bpe_tables.h"]),
        Extension("anytok.counting._pretok", ["src/anytok/counting/_pretok.c"], extra_compile_args=["-O3"]),
    ],
)
