from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ANNOTATOR = "annotator", _("annotator")
    REVIEWER = "reviewer", _("reviewer")
    ADMIN = "admin", _("admin")


class VideoKind(models.TextChoices):
    DATASET = "dataset", _("dataset candidate")
    GENERATED = "generated", _("generated")
    # A task's source video, attached by an admin: compared with the training clips
    # (contamination reports), never judged nor shown to annotators.
    REFERENCE = "reference", _("task reference")
    # A known-bad copy of an accepted clip (annotator/gold_video.py), mixed into
    # verification batches as a gold item: verified like a candidate, never exported.
    GOLD = "gold", _("synthetic gold clip")


# What annotators verify: candidates and the gold clips hidden among them.
CLIP_KINDS = (VideoKind.DATASET, VideoKind.GOLD)


class MediaStatus(models.TextChoices):
    MISSING = "missing", _("no file")
    QUEUED = "queued", _("queued")
    PROCESSING = "processing", _("processing")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")


class VerdictSource(models.TextChoices):
    HUMAN = "human", _("human")
    LLM = "llm", _("LLM")


class VerdictStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    CONFIRMED = "confirmed", _("confirmed")


class EvaluationStatus(models.TextChoices):
    OK = "ok", _("ok")
    FAILED = "failed", _("failed")


class ClipStatus(models.TextChoices):
    """Where a candidate clip stands; final once accepted or rejected."""

    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")
    ADJUDICATION = "adjudication", _("awaiting adjudication")


class Decision(models.TextChoices):
    ACCEPT = "accept", _("accept")
    REJECT = "reject", _("reject")
    FLAG = "flag", _("flag for a reviewer")


class WorkKind(models.TextChoices):
    VERIFY = "verify", _("verify clips")
    AUTHOR = "author", _("author criteria")
    JUDGE = "judge", _("judge generated videos")
    # A random sample of (video, dimension) items whose drafts experts verify, for the
    # human-corrected score (annotator/selectors/calibration.py); drawn, never chosen.
    CALIBRATE = "calibrate", _("calibrate the judge (random sample)")


class BatchOrder(models.TextChoices):
    """How a judging batch serves its tasks (selectors/routing.py for the second)."""

    TASK = "task", _("by task")
    ERRORS = "errors", _("by expected draft errors")


class GoldDefect(models.TextChoices):
    """How a synthetic gold clip is spoiled; each should get its reject reason."""

    REVERSED = "reversed", _("played backwards")
    FROZEN = "frozen", _("frozen for most of its length")
    SHUFFLED = "shuffled", _("segments shuffled (scene cuts)")
    BORDERS = "borders", _("black borders added")
    TEXT = "text", _("text burned in")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class TrainingSet(models.TextChoices):
    """What a contamination report compares the benchmark with."""

    CANDIDATES = "candidates", _("all candidate clips")
    ACCEPTED = "accepted", _("the accepted set at a snapshot time")


class EvidenceKind(models.TextChoices):
    SAME_SOURCE = "same-source", _("same source video")
    CHANNEL_TITLE = "channel-title", _("same channel, similar title")
    VISUAL = "visual", _("visual near-duplicate")
    TEXT = "text", _("similar text")


class OverlapDecision(models.TextChoices):
    OPEN = "open", _("open")
    CONFIRMED = "confirmed", _("confirmed")
    NOT_OVERLAP = "not-overlap", _("not an overlap")
