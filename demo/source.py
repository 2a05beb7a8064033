"""Where the demo data lives: the hand-written content (fixtures/demo/source/: JSON, article bodies in
Markdown) and, beside it, the data set the generator writes and the loader reads (fixtures/demo/*.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA_SET = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
SOURCE = DATA_SET / "source"


def source_read(name: str) -> Any:
    """One content file, `fixtures/demo/source/<name>.json`."""
    return json.loads((SOURCE / f"{name}.json").read_text(encoding="utf-8"))
