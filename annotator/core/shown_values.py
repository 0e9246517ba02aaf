"""Codes that pages show as they are and translate where they show them
({% translate dimension %}): dimensions, media states, audit actions, release changes,
verdict sources, the default reject reasons. Listed here so that makemessages puts
them in the catalogue."""

from django.utils.translation import gettext_noop

SHOWN_VALUES = (
    # rubrics_app.choices.Dimension values
    gettext_noop("scientific"),
    gettext_noop("visual"),
    gettext_noop("instruction"),
    # annotator.models.choices.MediaStatus values
    gettext_noop("missing"),
    gettext_noop("queued"),
    gettext_noop("processing"),
    gettext_noop("ready"),
    gettext_noop("failed"),
    # annotator.selectors.audit.ACTIONS
    gettext_noop("created"),
    gettext_noop("changed"),
    gettext_noop("deleted"),
    # rubrics_app.services.releases.CriterionChange.kind
    gettext_noop("added"),
    gettext_noop("removed"),
    gettext_noop("weight"),
    # annotator.selectors.verdicts.Source
    gettext_noop("drafts"),
    gettext_noop("confirmed"),
    gettext_noop("confirmed-else-draft"),
    # rubrics_app.choices.CriterionStatus values
    gettext_noop("draft"),
    gettext_noop("proposed"),
    gettext_noop("approved"),
    gettext_noop("retired"),
    # The default reject reasons (annotator/migrations/0006_default_reject_reasons.py,
    # 0020_gold_variants.py);
    # reasons admins add later show as they wrote them.
    gettext_noop("not microscale"),
    gettext_noop("live footage rather than simulation"),
    gettext_noop("text, subtitles, watermark or logo"),
    gettext_noop("black borders"),
    gettext_noop("a scene cut inside the clip"),
    gettext_noop("low resolution or blur"),
    gettext_noop("physically or biologically inconsistent"),
    gettext_noop("caption does not match"),
    gettext_noop("duplicate"),
    gettext_noop("frozen or still for most of the clip"),
)
