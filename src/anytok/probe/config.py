"""What a probe run asks for: the suites, how many items, the seed, the device (torch-free)."""

from __future__ import annotations

from dataclasses import dataclass

from anytok._fields import option
from anytok.errors import AnytokError

SUITES = ("chars", "numbers", "encodings", "perturb", "code")


class ProbeError(AnytokError, ValueError):
    """A probe request is inconsistent: an unknown suite, a limit below one, an unreadable text."""


@dataclass(frozen=True, kw_only=True)
class ProbeConfig:
    """The suites to run and how many items each task gets (the items depend only on the seed)."""

    suites: tuple[str, ...] = option(SUITES, f"Suites (repeatable or comma-separated): {', '.join(SUITES)}.",
                                     flag="--suite")
    limit: int = option(20, "Items per task (per perturbation, per text...): the first N of a fixed order.")
    seed: int = option(0, "Seed of the items: the same seed gives every model the same items.")
    device: str = option("cpu", "cpu or cuda.")

    def __post_init__(self) -> None:
        suites = tuple(s.strip() for part in self.suites for s in part.split(",") if s.strip())
        unknown = [s for s in suites if s not in SUITES]
        if unknown or not suites:
            raise ProbeError(f"suite {unknown[0] if unknown else '(none)'!r} does not exist; choose from "
                             f"{', '.join(SUITES)}")
        if self.limit < 1:
            raise ProbeError(f"limit={self.limit} gives no items; use --limit 1 or more")
        object.__setattr__(self, "suites", tuple(dict.fromkeys(suites)))
