"""The tokenizer arena: small LMs trained per tokenizer under equal budgets, compared in bits per byte.

    from anytok.arena import ArenaConfig, run_arena
    result = run_arena(["bytes", "cl100k", "lexinvariant:cl100k"], train=["train.txt"], held_out=["eval.txt"],
                       config=ArenaConfig(size="tiny", budget_bytes=200_000), out="arena/")
    print(result.to_markdown())

See docs/arena.md for the model, the budgets and how FLOPs are counted.
"""

from anytok.arena.config import SIZES, ArenaConfig, ModelShape
from anytok.arena.run import ArenaResult, run_arena

__all__ = ["SIZES", "ArenaConfig", "ArenaResult", "ModelShape", "run_arena"]
