"""The checklist's rows, built in Python: a judging page holds up to 8 x 15 of them,
and the template language (and format_html escaping every argument) made them most
of the page's server time. Only the criterion text and the judge's reasoning come
from users; they are escaped once each, the rest are numbers and constants."""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from annotator.services.verdicts import Check

register = template.Library()

# A saved row replaces itself, settled at once: htmx makes new content live when it
# settles (20 ms by default), and a key pressed before that would be lost.
_ROW = (
    '<button type="button" class="check state-{state}{penalty}{value_class}" hx-post="{url}" '
    'hx-target="this" hx-swap="outerHTML settle:0ms" '
    'hx-vals=\'{{"criterion": "{criterion}", "verdict": "{next}"}}\' data-criterion="{criterion}" '
    'data-state="{state}" aria-pressed="{pressed}" title="{title}"><span class="mark">{mark}'
    '</span><span class="text">{text}</span><span class="meta">{sign}{weight}{draft}{at}</span>'
    "</button>"
)


# (value, is penalty) -> mark: a met point, an error present, a no, not judged yet.
_MARKS = {
    (1, False): "\N{CHECK MARK}",
    (1, True): "\N{BALLOT X}",
    (0, False): "\N{MIDDLE DOT}",
    (0, True): "\N{MIDDLE DOT}",
    (None, False): "?",
    (None, True): "?",
}


def _row(check: Check, url: str, words: dict[str, str]) -> str:
    criterion, value = check.criterion, check.value
    penalty = criterion.is_penalty
    title = ""
    if check.draft is not None:
        reasoning = check.draft.reasoning or words["none"]
        title = escape(words["judge"] % {"model": check.draft.judge_model, "reasoning": reasoning})
    return _ROW.format(
        state=check.state,
        penalty=" penalty" if penalty else "",
        value_class="" if value is None else {1: " on", 0: " off"}.get(value, ""),
        url=escape(url),
        criterion=criterion.pk,
        next=0 if value == 1 else 1,
        pressed="true" if value == 1 else "false",
        title=title,
        mark=_MARKS[(value, penalty)],
        text=escape(criterion.text),
        sign="\N{MINUS SIGN}" if penalty else "+",
        weight=f"{float(criterion.weight):g}",
        draft=f" <em>{words['draft']}</em>" if check.state == "draft" else "",
        at="" if check.time_mark is None else f' <span class="at">@{check.time_mark:.2f} s</span>',
    )


@register.simple_tag
def check_rows(checks: list[Check], url: str) -> SafeString:
    """One toggle per criterion, showing its state (draft, confirmed, open) and value."""
    # Translated once for all the rows (constants: no user text in them).
    words = {
        "draft": escape(gettext("draft")),
        "none": gettext("no reasoning given"),
        "judge": gettext("Judge (%(model)s): %(reasoning)s"),
    }
    return SafeString("".join(_row(check, url, words) for check in checks))
