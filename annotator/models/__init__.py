from .judgments import JudgeEvaluation, Judgment
from .media import GeneratorModel, Video
from .users import User

__all__ = ["GeneratorModel", "JudgeEvaluation", "Judgment", "User", "Video"]
