"""How far the media pipeline is with a set of videos."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from annotator.models import Video
from annotator.models.choices import MediaStatus

UNFINISHED = (MediaStatus.QUEUED, MediaStatus.PROCESSING)


@dataclass
class Progress:
    """How far the media pipeline is with a set of videos."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.counts[MediaStatus.READY] + self.counts[MediaStatus.FAILED]

    @property
    def unfinished(self) -> int:
        return sum(self.counts[status] for status in UNFINISHED)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def media_progress(videos: QuerySet[Video]) -> Progress:
    counts = dict.fromkeys(MediaStatus.values, 0)
    for row in videos.order_by().values("media_status").annotate(n=Count("pk")):
        counts[row["media_status"]] = row["n"]
    return Progress(counts)
