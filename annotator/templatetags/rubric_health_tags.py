"""Rubric health for templates: the findings of a task's criteria, which the criteria
editor (a rubrics_app template) shows as badges, and each finding said in words.

The editor's views are rubrics_app's, which may not import annotator.selectors (the
layout rule, tests/rules/test_layout.py): its template loads this library instead, as
it loads visibility_tags, so the views stay as they are and every editor answer (the
page and each htmx block) carries the badges."""

from django import template

from annotator.selectors.rubric_health import CriterionHealth, Finding, rubric_health
from annotator.templatetags.leaderboard_tags import MISSING, percent
from rubrics_app.models import Task

register = template.Library()


@register.simple_tag
def criterion_findings(task: Task) -> dict[int, CriterionHealth]:
    """The task's live criteria that have a finding, by id: the same figures and
    thresholds as the Rubric health page over the current criteria, with the drafts
    of the first judge by name."""
    health = rubric_health(benchmark=task.benchmark, task=task)
    return {c.criterion_id: c for c in health.criteria if c.findings}


@register.filter
def health_of(findings: dict[int, CriterionHealth] | None, criterion_id: int):
    return (findings or {}).get(criterion_id)


def _number(value: float | None) -> str:
    return MISSING if value is None else f"{value:.2f}"


@register.filter
def finding_note(c: CriterionHealth, finding: Finding) -> str:
    """What the finding rests on, in a sentence (a badge's title, the page's rows)."""
    a = c.judge
    if finding == Finding.JUDGE_UNRELIABLE:
        return (
            f"The judge against the experts on {a.n} videos: Cohen's kappa {_number(c.kappa)}, "
            f"accuracy {percent(a.accuracy)}, over-calls {percent(a.over_call_rate)}, "
            f"under-calls {percent(a.under_call_rate)}."
        )
    if finding == Finding.EXPERTS_DISAGREE:
        return (
            f"Experts disagree: Krippendorff's alpha {_number(c.expert_alpha)} on "
            f"{c.expert_items} videos verdicted by two or more, unanimous on "
            f"{c.expert_unanimous}. The wording may be ambiguous."
        )
    if finding == Finding.NOT_DISCRIMINATING:
        verdict = "met" if c.met else "not met"
        if c.is_penalty:
            verdict = "present" if c.met else "absent"
        return (
            f"The same verdict ({verdict}) on all {c.videos} videos of {c.generators} "
            "models: it does not tell them apart."
        )
    if finding == Finding.PENALTY_NEVER_TRIGGERED:
        return f"Never present on {c.videos} videos of {c.generators} models."
    return "Weight 0: it never changes a score."
