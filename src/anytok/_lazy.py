"""Names a package exports but imports only when first asked for (PEP 562 ``__getattr__``).

torch and transformers take seconds to import; the commands that never run a model must not
pay for them, so packages whose modules import torch export through this.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any, Callable


def lazy_exports(package: str, homes: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """(``__getattr__``, ``__dir__``) for ``package`` whose public ``name`` lives in module ``homes[name]``.

    The first lookup imports the module and stores the value in the package, so later lookups
    are plain attribute reads.
    """
    namespace = import_module(package).__dict__
    folder = Path(namespace["__file__"]).parent
    for name in homes:  # importing a submodule of the same name would replace the value with the module
        if (folder / f"{name}.py").exists() or (folder / name / "__init__.py").exists():
            raise ImportError(f"{package}.{name} is both a lazy export and a submodule; rename one")

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(home), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *homes})

    return __getattr__, __dir__
