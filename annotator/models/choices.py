from django.db import models


class Role(models.TextChoices):
    ANNOTATOR = "annotator", "annotator"
    REVIEWER = "reviewer", "reviewer"
    ADMIN = "admin", "admin"


class VideoKind(models.TextChoices):
    DATASET = "dataset", "dataset candidate"
    GENERATED = "generated", "generated"
    # A task's source video, attached by an admin: compared with the training clips
    # (contamination reports), never judged nor shown to annotators.
    REFERENCE = "reference", "task reference"
    # A known-bad copy of an accepted clip (annotator/gold_video.py), mixed into
    # verification batches as a gold item: verified like a candidate, never exported.
    GOLD = "gold", "synthetic gold clip"


# What annotators verify: candidates and the gold clips hidden among them.
CLIP_KINDS = (VideoKind.DATASET, VideoKind.GOLD)


class MediaStatus(models.TextChoices):
    MISSING = "missing", "no file"
    QUEUED = "queued", "queued"
    PROCESSING = "processing", "processing"
    READY = "ready", "ready"
    FAILED = "failed", "failed"


class VerdictSource(models.TextChoices):
    HUMAN = "human", "human"
    LLM = "llm", "LLM"


class VerdictStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    CONFIRMED = "confirmed", "confirmed"


class EvaluationStatus(models.TextChoices):
    OK = "ok", "ok"
    FAILED = "failed", "failed"


class ClipStatus(models.TextChoices):
    """Where a candidate clip stands; final once accepted or rejected."""

    PENDING = "pending", "pending"
    ACCEPTED = "accepted", "accepted"
    REJECTED = "rejected", "rejected"
    ADJUDICATION = "adjudication", "awaiting adjudication"


class Decision(models.TextChoices):
    ACCEPT = "accept", "accept"
    REJECT = "reject", "reject"
    FLAG = "flag", "flag for a reviewer"


class WorkKind(models.TextChoices):
    VERIFY = "verify", "verify clips"
    AUTHOR = "author", "author criteria"
    JUDGE = "judge", "judge generated videos"
    # A random sample of (video, dimension) items whose drafts experts verify, for the
    # human-corrected score (annotator/selectors/calibration.py); drawn, never chosen.
    CALIBRATE = "calibrate", "calibrate the judge (random sample)"


class BatchOrder(models.TextChoices):
    """How a judging batch serves its tasks (selectors/routing.py for the second)."""

    TASK = "task", "by task"
    ERRORS = "errors", "by expected draft errors"


class GoldDefect(models.TextChoices):
    """How a synthetic gold clip is spoiled; each should get its reject reason."""

    REVERSED = "reversed", "played backwards"
    FROZEN = "frozen", "frozen for most of its length"
    SHUFFLED = "shuffled", "segments shuffled (scene cuts)"
    BORDERS = "borders", "black borders added"
    TEXT = "text", "text burned in"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


class TrainingSet(models.TextChoices):
    """What a contamination report compares the benchmark with."""

    CANDIDATES = "candidates", "all candidate clips"
    ACCEPTED = "accepted", "the accepted set at a snapshot time"


class EvidenceKind(models.TextChoices):
    SAME_SOURCE = "same-source", "same source video"
    CHANNEL_TITLE = "channel-title", "same channel, similar title"
    VISUAL = "visual", "visual near-duplicate"
    TEXT = "text", "similar text"


class OverlapDecision(models.TextChoices):
    OPEN = "open", "open"
    CONFIRMED = "confirmed", "confirmed"
    NOT_OVERLAP = "not-overlap", "not an overlap"
