"""What a user may see of a generated video. Annotators judge blind: they must never
learn which generator model made a video, from a label, an order, a URL or a page.
Every page, partial and endpoint that could name a model asks here.

What else keeps them blind: videos are addressed by `Video.public_id` (database ids
follow the import order, <Model>/ folder by folder, so they would link a model's videos
across tasks); stored files are named by their content's sha256, so media URLs, S3
keys and presigned URLs carry no name; and the pages that exist to show names (the
leaderboard, the video list, judge jobs) are closed to them."""

import hashlib
from collections.abc import Iterable
from typing import cast

from django.utils.translation import gettext

from annotator.models import GeneratorModel, Job, Video


def may_see_generator(user) -> bool:
    """Reviewers and admins see model names; annotators (and anyone else) do not."""
    return bool(getattr(user, "is_reviewer", False))


def names_shown(user, *, asked: bool = True) -> bool:
    """Whether a page shows `user` model names: only to those who may see them, and
    only when they ask (the judging page is blind until a reviewer reveals it)."""
    return asked and may_see_generator(user)


def blind_order(videos: Iterable[Video], user) -> list[Video]:
    """Shuffled per user, the same way every time and on every page, so no position
    gives a model away and each video keeps its letter."""

    def key(video: Video) -> str:
        return hashlib.sha256(f"{user.pk}:{video.pk}".encode()).hexdigest()

    return sorted(videos, key=key)


def labelled(videos: Iterable[Video], user, *, names: bool) -> list[tuple[Video, str]]:
    """A task's videos in the order `user` sees them, each with the label they may see:
    by model name when `names` is asked and allowed, else blind: "Video A", "Video B"..."""
    if names_shown(user, asked=names):
        # A task's videos are generated ones, and they have a model (a check constraint).
        def name(video: Video) -> str:
            return cast(GeneratorModel, video.generator).name

        return [(v, name(v)) for v in sorted(videos, key=name)]
    return [
        (v, gettext("Video %(letter)s") % {"letter": chr(ord("A") + n)})
        for n, v in enumerate(blind_order(videos, user))
    ]


def generator_name(video: Video, user) -> str:
    """The video's model as `user` may see it: its name, or nothing."""
    if video.generator_id is None or not may_see_generator(user):
        return ""
    return cast(GeneratorModel, video.generator).name  # generator_id is set


def visible_jobs(user):
    """Jobs describe their items by model ("draft judgments: Sora...", failures naming
    the model and video): annotators see only the jobs they started themselves."""
    jobs = Job.objects.all()
    return jobs if may_see_generator(user) else jobs.filter(created_by=user)
