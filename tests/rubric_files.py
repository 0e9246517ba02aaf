"""Helpers for tests that compare rubric files as data."""

import copy
import json
from io import StringIO
from pathlib import Path
from typing import Any

from rubrics_app.rubric_format import TRIPLE_KEY

DATA = Path(__file__).parent / "data"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def import_variants(*options: str) -> Any:
    """The benchmark "mwb" imported from the fixture with every format variant."""
    from django.core.management import call_command

    from rubrics_app.models import Benchmark

    call_command(
        "import_rubrics",
        str(DATA / "rubrics_variants.json"),
        "--benchmark",
        "mwb",
        *options,
        stdout=StringIO(),
    )
    return Benchmark.objects.get(name="mwb")


def as_data(entries: list[dict]) -> list[dict]:
    """The file with polarity and weights read as numbers: what must survive a round
    trip, whatever string or number form the source used."""
    entries = copy.deepcopy(entries)
    for entry in entries:
        for key, block in entry.items():
            if not key.startswith("rubrics_"):
                continue
            for name, value in block.items():
                match = TRIPLE_KEY.match(name)
                if match and match[1] == "s":
                    block[name] = int(value)
                elif match and match[1] == "w":
                    block[name] = float(value)
    return sorted(entries, key=lambda e: e["index"])
