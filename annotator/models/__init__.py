from .assignments import Assignment, BatchItem, GoldAnswer, WorkBatch
from .calibration import CalibrationSample
from .clips import ClipDecision, ClipSuggestion, RejectReason
from .contamination import ContaminationFinding, ContaminationReport
from .gold import GoldVariant
from .jobs import Job, JobItem, JobStatus, OutboxMessage
from .judgments import JudgeEvaluation, Judgment
from .media import GeneratorModel, ImportBatch, Video
from .tokens import ApiToken
from .users import User

__all__ = [
    "ApiToken",
    "Assignment",
    "BatchItem",
    "CalibrationSample",
    "ClipDecision",
    "ClipSuggestion",
    "ContaminationFinding",
    "ContaminationReport",
    "GeneratorModel",
    "GoldAnswer",
    "GoldVariant",
    "ImportBatch",
    "Job",
    "JobItem",
    "JobStatus",
    "JudgeEvaluation",
    "Judgment",
    "OutboxMessage",
    "RejectReason",
    "User",
    "Video",
    "WorkBatch",
]
