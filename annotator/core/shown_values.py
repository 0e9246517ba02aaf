"""Codes that pages show as they are and translate where they show them
({% translate dimension %}): dimensions, media states, audit actions, release changes,
verdict sources. Listed here so that makemessages puts them in the catalogue."""

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
)
