"""The benchmark's rubric file and task metadata file (PRODUCT.md, "Formats"): checked
parsing into plain records, and writing back. No database here."""

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Generic, TypeGuard, TypeVar

from django.utils.translation import gettext

from annotator.core.errors import InputError

from .choices import Dimension, Level, Polarity

DIMENSION_KEYS = {
    Dimension.SCIENTIFIC: "rubrics_scientific",
    Dimension.VISUAL: "rubrics_visual",
    Dimension.INSTRUCTION: "rubrics_instruction",
}
PROMPT_KEYS = {False: "task", True: "任务"}
REQUIREMENT_KEYS = {False: "requirement", True: "具体要求"}
TRIPLE_KEY = re.compile(r"^([dsw])([0-9]+)$")
USUAL_CRITERIA_PER_DIMENSION = 5
WEIGHT_DECIMAL_PLACES = 6
WEIGHT_LIMIT = Decimal(10**6)


@dataclass(frozen=True)
class CriterionRecord:
    dimension: str
    number: int
    text: str
    polarity: int
    weight: Decimal


@dataclass
class TaskRecord:
    index: int
    prompt: str
    requirement: str
    chinese_keys: bool
    criteria: list[CriterionRecord]
    # Uninterpreted fields; a dimension's non-triple keys sit under its rubrics_* key.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskMetadataRecord:
    index: int
    level: str
    source_ref: str
    extra: dict[str, Any]


T = TypeVar("T")


@dataclass
class Parsed(Generic[T]):
    records: list[T]
    warnings: list[str]


def encode(data: Any) -> Iterator[str]:
    """A file's JSON text in pieces: UTF-8 as is, two-space indent, a final newline. The
    export command, the download page and the API all write it, so a release is the same
    bytes whichever way it leaves."""
    yield from json.JSONEncoder(ensure_ascii=False, indent=2).iterencode(data)
    yield "\n"


def download_name(*, benchmark: str, release: str, suffix: str = "rubrics.json") -> str:
    """The file name a release's export is offered under (no spaces: shells and browsers)."""
    return f"{benchmark}_{release}_{suffix}".replace(" ", "_")


def load_json(path: str | Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except OSError as exc:
        raise InputError(
            gettext("%(path)s: cannot read (%(error)s)") % {"path": path, "error": exc.strerror}
        ) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            gettext("%(path)s: not valid JSON (%(error)s)") % {"path": path, "error": exc}
        ) from exc


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _entry_indices(data: Any, what: str) -> tuple[list[tuple[int, dict]], list[str]]:
    """The (index, object) pairs of a JSON array of task objects, with the errors of
    entries that are not objects, lack an integer index, or repeat one."""
    if not isinstance(data, list):
        raise InputError(
            gettext("%(what)s: expected a JSON array of task objects, got %(type)s")
            % {"what": what, "type": type(data).__name__}
        )
    errors: list[str] = []
    entries: list[tuple[int, dict]] = []
    seen: set[int] = set()
    for position, entry in enumerate(data, start=1):
        if not isinstance(entry, dict):
            errors.append(f"entry {position}: expected an object, got {type(entry).__name__}")
            continue
        index = entry.get("index")
        if not _is_int(index) or index < 0:
            errors.append(
                f"entry {position}, key 'index': expected a non-negative integer, got {index!r}"
            )
            continue
        if index in seen:
            errors.append(f"task {index}, key 'index': the index appears more than once")
            continue
        seen.add(index)
        entries.append((index, entry))
    return entries, errors


def parse_polarity(value: Any) -> int:
    if _is_int(value) or isinstance(value, float):
        if value in (1, -1):
            return int(value)
    elif isinstance(value, str) and value.strip() in {"+1", "1", "-1"}:
        return int(value.strip())
    raise ValueError(f'polarity must be "+1" or "-1", got {value!r}')


def parse_weight(value: Any) -> Decimal:
    problem = f"weight must be a non-negative number, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(problem)
    try:
        weight = Decimal(value.strip() if isinstance(value, str) else repr(value))
    except InvalidOperation as exc:
        raise ValueError(problem) from exc
    if not weight.is_finite() or weight < 0:
        raise ValueError(problem)
    if weight >= WEIGHT_LIMIT:
        raise ValueError(f"weight {value!r} is too large (limit {WEIGHT_LIMIT})")
    if weight != weight.quantize(Decimal(1).scaleb(-WEIGHT_DECIMAL_PLACES)):
        raise ValueError(f"weight {value!r} has more than {WEIGHT_DECIMAL_PLACES} decimal places")
    return weight


def format_weight(weight: Decimal) -> str:
    """The shortest decimal string: 2 -> "2", 0.700000 -> "0.7"."""
    return format(weight.normalize(), "f")


def format_polarity(polarity: int) -> str:
    return "+1" if polarity == Polarity.POSITIVE else "-1"


def _parse_dimension(
    index: int, dimension: str, key: str, block: Any, errors: list[str], warnings: list[str]
) -> tuple[list[CriterionRecord], dict[str, Any]]:
    where = f"task {index}, {key}"
    if not isinstance(block, dict):
        errors.append(
            f"{where}: expected an object of d<N>/s<N>/w<N> keys, got {type(block).__name__}"
        )
        return [], {}
    triples: dict[int, dict[str, Any]] = {}
    extra: dict[str, Any] = {}
    for name, value in block.items():
        match = TRIPLE_KEY.match(name)
        if not match:
            extra[name] = value
            continue
        letter, digits = match.groups()
        if digits.startswith("0"):
            errors.append(
                f"{where}.{name}: criterion numbers are positive integers without leading zeros"
            )
            continue
        triples.setdefault(int(digits), {})[letter] = value

    criteria = []
    for number in sorted(triples):
        parts = triples[number]
        if "d" not in parts:
            present = ", ".join(f"{letter}{number}" for letter in sorted(parts))
            errors.append(f"{where}.d{number}: {present} given but no criterion text d{number}")
            continue
        text = parts["d"]
        if not isinstance(text, str):
            errors.append(f"{where}.d{number}: criterion text must be a string, got {text!r}")
            continue
        missing = [f"{letter}{number}" for letter in "sw" if letter not in parts]
        if missing:
            errors.append(
                f"{where}.{missing[0]}: criterion d{number} has no "
                f"{'polarity' if missing[0][0] == 's' else 'weight'} {missing[0]}"
            )
            continue
        try:
            polarity = parse_polarity(parts["s"])
        except ValueError as exc:
            errors.append(f"{where}.s{number}: {exc}")
            continue
        try:
            weight = parse_weight(parts["w"])
        except ValueError as exc:
            errors.append(f"{where}.w{number}: {exc}")
            continue
        if not text.strip():
            warnings.append(f"{where}.d{number}: empty criterion text")
        criteria.append(CriterionRecord(dimension, number, text, polarity, weight))

    numbers = [c.number for c in criteria]
    if len(criteria) != USUAL_CRITERIA_PER_DIMENSION:
        warnings.append(
            f"{where}: {len(criteria)} criteria (usually {USUAL_CRITERIA_PER_DIMENSION})"
        )
    if numbers and numbers != list(range(1, len(numbers) + 1)):
        warnings.append(
            f"{where}: numbered {', '.join(map(str, numbers))} rather than 1 to {len(numbers)}"
        )
    if criteria and not any(c.polarity == Polarity.POSITIVE and c.weight > 0 for c in criteria):
        warnings.append(
            f"{where}: no positive point with a weight above 0, so this dimension always scores 0"
        )
    return criteria, extra


def parse_rubric_file(data: Any) -> Parsed[TaskRecord]:
    """Checks a whole rubric file; raises InputError listing every error found."""
    entries, errors = _entry_indices(data, "rubric file")
    warnings: list[str] = []
    records = []
    for index, entry in entries:
        chinese = PROMPT_KEYS[False] not in entry and PROMPT_KEYS[True] in entry
        prompt_key, requirement_key = PROMPT_KEYS[chinese], REQUIREMENT_KEYS[chinese]
        texts = {}
        for keys in (PROMPT_KEYS, REQUIREMENT_KEYS):
            key = keys[chinese]
            if key not in entry:
                errors.append(f"task {index}: missing key '{key}' (or '{keys[not chinese]}')")
            elif not isinstance(entry[key], str):
                errors.append(f"task {index}, key '{key}': expected a string, got {entry[key]!r}")
            else:
                texts[key] = entry[key]

        criteria: list[CriterionRecord] = []
        interpreted = {"index", prompt_key, requirement_key, *DIMENSION_KEYS.values()}
        extra = {k: v for k, v in entry.items() if k not in interpreted}
        for dimension, key in DIMENSION_KEYS.items():
            if key not in entry:
                errors.append(f"task {index}: missing key '{key}'")
                continue
            found, dimension_extra = _parse_dimension(
                index, dimension, key, entry[key], errors, warnings
            )
            criteria.extend(found)
            if dimension_extra:
                extra[key] = dimension_extra
        if len(texts) == 2:
            records.append(
                TaskRecord(
                    index, texts[prompt_key], texts[requirement_key], chinese, criteria, extra
                )
            )
    if errors:
        raise InputError(errors)
    return Parsed(records, warnings)


def parse_task_metadata(data: Any) -> Parsed[TaskMetadataRecord]:
    """Checks a task metadata file: index, final_label (the level), id (the source
    reference); every other field is kept as it is."""
    entries, errors = _entry_indices(data, "task metadata file")
    warnings: list[str] = []
    records = []
    for index, entry in entries:
        level = entry.get("final_label", "")
        if "final_label" not in entry:
            warnings.append(f"task {index}: no 'final_label', level left empty")
        elif level not in Level.values:
            errors.append(
                f"task {index}, key 'final_label': {level!r} is not one of "
                f"{', '.join(Level.values)}"
            )
            continue
        source_ref = entry.get("id", "")
        if not isinstance(source_ref, str):
            errors.append(f"task {index}, key 'id': expected a string, got {source_ref!r}")
            continue
        extra = {k: v for k, v in entry.items() if k not in {"index", "final_label", "id"}}
        records.append(TaskMetadataRecord(index, level, source_ref, extra))
    if errors:
        raise InputError(errors)
    return Parsed(records, warnings)


def rubric_entry(
    *,
    index: int,
    prompt: str,
    requirement: str,
    chinese_keys: bool,
    extra: dict[str, Any],
    criteria: Iterable[tuple[str, int, str, int, Decimal]],
) -> dict[str, Any]:
    """One task object of the rubric file. criteria: (dimension, number, text,
    polarity, weight) in any order; each dimension is written ordered by number."""
    by_dimension: dict[str, list[tuple[int, str, int, Decimal]]] = {d: [] for d in DIMENSION_KEYS}
    for dimension, number, text, polarity, weight in criteria:
        by_dimension[dimension].append((number, text, polarity, weight))
    entry: dict[str, Any] = {
        "index": index,
        PROMPT_KEYS[chinese_keys]: prompt,
        REQUIREMENT_KEYS[chinese_keys]: requirement,
    }
    for dimension, key in DIMENSION_KEYS.items():
        block: dict[str, Any] = {}
        for number, text, polarity, weight in sorted(by_dimension[dimension]):
            block[f"d{number}"] = text
            block[f"s{number}"] = format_polarity(polarity)
            block[f"w{number}"] = format_weight(weight)
        block.update(extra.get(key, {}))
        entry[key] = block
    entry.update({k: v for k, v in extra.items() if k not in DIMENSION_KEYS.values()})
    return entry


def rubric_file(
    tasks: Iterable[Any], criteria: Iterable[tuple[int, str, int, str, int, Decimal]]
) -> list[dict[str, Any]]:
    """The whole rubric file. tasks: objects with pk, index, prompt, requirement,
    chinese_keys and rubric_extra, in file order; criteria: (task pk, dimension, number,
    text, polarity, weight) rows."""
    by_task: dict[int, list[tuple[str, int, str, int, Decimal]]] = {}
    for task_pk, dimension, number, text, polarity, weight in criteria:
        by_task.setdefault(task_pk, []).append((dimension, number, text, polarity, weight))
    return [
        rubric_entry(
            index=task.index,
            prompt=task.prompt,
            requirement=task.requirement,
            chinese_keys=task.chinese_keys,
            extra=task.rubric_extra,
            criteria=by_task.get(task.pk, []),
        )
        for task in tasks
    ]


def task_metadata_entry(
    *, index: int, level: str, source_ref: str, extra: dict[str, Any]
) -> dict[str, Any]:
    return {"index": index, "final_label": level, "id": source_ref, **extra}
