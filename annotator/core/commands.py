"""What every management command shares: input errors become a non-zero exit with
every message printed, and files are written from their text's pieces."""

from collections.abc import Callable, Iterable
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


def write_text(path: str | Path, pieces: Iterable[str]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(pieces)
