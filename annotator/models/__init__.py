from .jobs import Job, JobStatus
from .judgments import JudgeEvaluation, Judgment
from .media import GeneratorModel, ImportBatch, Video
from .users import User

__all__ = [
    "GeneratorModel",
    "ImportBatch",
    "Job",
    "JobStatus",
    "JudgeEvaluation",
    "Judgment",
    "User",
    "Video",
]
