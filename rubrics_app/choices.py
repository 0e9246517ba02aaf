from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    ORGAN = "Organ-level", _("Organ-level")
    CELLULAR = "Cellular-level", _("Cellular-level")
    SUBCELLULAR = "Subcellular-level", _("Subcellular-level")


class Dimension(models.TextChoices):
    SCIENTIFIC = "scientific", _("Scientific fidelity")
    VISUAL = "visual", _("Visual quality")
    INSTRUCTION = "instruction", _("Instruction following")


class Polarity(models.IntegerChoices):
    POSITIVE = 1, _("positive point")
    PENALTY = -1, _("penalty point")


class CriterionStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PROPOSED = "proposed", _("proposed")
    APPROVED = "approved", _("approved")
    RETIRED = "retired", _("retired")


class CriterionOrigin(models.TextChoices):
    IMPORTED = "imported", _("imported")
    EXPERT = "expert", _("expert")
    LLM = "llm", _("LLM")


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("being written")
    SUBMITTED = "submitted", _("submitted")
    MERGED = "merged", _("merged")
