"""What every management command shares: input errors become a non-zero exit with
every message printed, and JSON is written the same way everywhere."""

import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from annotator.core.errors import InputError


def reports_input_errors(handle: Callable[..., None]) -> Callable[..., None]:
    @wraps(handle)
    def wrapper(*args: Any, **options: Any) -> None:
        try:
            handle(*args, **options)
        except InputError as exc:
            raise CommandError("nothing was written:\n" + "\n".join(exc.messages)) from exc

    return wrapper


def write_json(path: str | Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
