"""What an expert had watched of each video when they gave their verdicts, as the
judging page measures it (static/js/watch.js): stored with every verdict a save
writes, for reviewers to see verdicts given without watching (rubber-stamping)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.utils.translation import gettext

from annotator.core.errors import InputError

# More than a day on a task is a tab left open: counted as a day.
MAX_SECONDS = 86400.0
MAX_COUNT = 1_000_000  # no page counts that many: a forged field
# The Judgment fields a measure is stored in, in Watched's order.
WATCH_FIELDS = ("watch_coverage", "watch_replays", "watch_frame_steps", "watch_seconds")


@dataclass(frozen=True)
class Watched:
    """One video as watched on the page: the share of its duration played (0 to 1),
    the times it was played to the end and again, the frame steps taken, and the
    seconds the page had been open."""

    coverage: float
    replays: int
    frame_steps: int
    seconds_on_task: float


def watch_columns(watched: Watched | None) -> dict[str, Any]:
    """The Judgment fields of a verdict written with this measure. Without one (the
    API, a page of before) they are empty: an earlier verdict's measure described
    another verdict."""
    if watched is None:
        return dict.fromkeys(WATCH_FIELDS)
    values = (watched.coverage, watched.replays, watched.frame_steps, watched.seconds_on_task)
    return dict(zip(WATCH_FIELDS, values, strict=True))


def _number(value: object, name: str, *, high: float) -> float:
    # bool is an int to Python, not a number to a page.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(gettext("%(name)s is not a number.") % {"name": name})
    if value < 0:
        raise InputError(
            gettext("%(name)s %(value)s is negative.") % {"name": name, "value": value}
        )
    if value > high:
        raise InputError(
            gettext("%(name)s %(value)s is over %(high)s.")
            % {"name": name, "value": value, "high": format(high, ".0f")}
        )
    return float(value)


def _count(value: object, name: str) -> int:
    number = _number(value, name, high=MAX_COUNT)
    if not number.is_integer():
        raise InputError(
            gettext("%(name)s %(value)s is not a whole number.") % {"name": name, "value": value}
        )
    return int(number)


def watch_parse(data: object) -> dict[UUID, Watched]:
    """The page's measure, {"seconds_on_task": s, "videos": {public id: {"coverage": c,
    "replays": n, "frame_steps": n}}}, per video public id; InputError naming what is
    malformed. Coverage is clamped to 0..1 (a browser's played ranges can pass the
    duration by a frame) and the seconds to a day; counts are whole numbers."""
    if not isinstance(data, dict) or not isinstance(data.get("videos"), dict):
        raise InputError(gettext('Expected {"seconds_on_task": s, "videos": {video id: {...}}}.'))
    seconds = _number(data.get("seconds_on_task"), "seconds_on_task", high=math.inf)
    seconds = round(min(seconds, MAX_SECONDS), 1)
    report = {}
    for key, video in data["videos"].items():
        try:
            public_id = UUID(key)
        except ValueError:
            raise InputError(gettext("%(key)s is not a video id.") % {"key": repr(key)}) from None
        if not isinstance(video, dict):
            raise InputError(
                gettext("video %(key)s: expected coverage, replays and frame_steps.") % {"key": key}
            )
        coverage = _number(video.get("coverage"), f"video {key}: coverage", high=math.inf)
        report[public_id] = Watched(
            coverage=round(min(coverage, 1.0), 3),
            replays=_count(video.get("replays"), f"video {key}: replays"),
            frame_steps=_count(video.get("frame_steps"), f"video {key}: frame_steps"),
            seconds_on_task=seconds,
        )
    return report
