from django.db import models


class Level(models.TextChoices):
    ORGAN = "Organ-level", "Organ-level"
    CELLULAR = "Cellular-level", "Cellular-level"
    SUBCELLULAR = "Subcellular-level", "Subcellular-level"


class Dimension(models.TextChoices):
    SCIENTIFIC = "scientific", "Scientific fidelity"
    VISUAL = "visual", "Visual quality"
    INSTRUCTION = "instruction", "Instruction following"


class Polarity(models.IntegerChoices):
    POSITIVE = 1, "positive point"
    PENALTY = -1, "penalty point"


class CriterionStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    PROPOSED = "proposed", "proposed"
    APPROVED = "approved", "approved"
    RETIRED = "retired", "retired"


class CriterionOrigin(models.TextChoices):
    IMPORTED = "imported", "imported"
    EXPERT = "expert", "expert"
    LLM = "llm", "LLM"


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", "pending"
    ACCEPTED = "accepted", "accepted"
    REJECTED = "rejected", "rejected"


class ProposalStatus(models.TextChoices):
    OPEN = "open", "being written"
    SUBMITTED = "submitted", "submitted"
    MERGED = "merged", "merged"
