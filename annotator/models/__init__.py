from .judgments import JudgeEvaluation, Judgment
from .media import GeneratorModel, ImportBatch, Video
from .users import User

__all__ = ["GeneratorModel", "ImportBatch", "JudgeEvaluation", "Judgment", "User", "Video"]
