"""The audit log for admins: the page, filtered and paginated, and its CSV download."""

import csv
from collections.abc import Iterator
from typing import Any

from django import forms
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from annotator.core.forms import StyledFieldsMixin
from annotator.core.htmx import AuthedHttpRequest
from annotator.core.permissions import admin_required
from annotator.models import User
from annotator.selectors import audit


class AuditFilterForm(StyledFieldsMixin, forms.Form):
    kind = forms.ChoiceField(
        choices=[("", _("every kind")), *((kind.key, _(kind.label)) for kind in audit.KINDS)],
        required=False,
    )
    user = forms.ModelChoiceField(
        queryset=User.objects.order_by("username"), required=False, empty_label=_("anyone")
    )
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(gettext("The range starts after it ends."))
        return data

    def filters(self) -> audit.AuditFilter:
        return audit.AuditFilter(**self.cleaned_data)


@require_safe
@admin_required
def audit_log(request: AuthedHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    page = None
    if form.is_valid():
        page = audit.audit_page(
            form.filters(), before=request.GET.get("before", ""), after=request.GET.get("after", "")
        )
    # The filters alone, for the pagination and CSV links.
    query = request.GET.copy()
    for name in ("before", "after"):
        query.pop(name, None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "annotator/audit_log.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(filters: audit.AuditFilter) -> Iterator[list[str]]:
    yield ["when", "who", "kind", "object id", "object", "change", "reason", "details"]
    for entry in audit.audit_entries(filters):
        details = "; ".join(
            f"{c.field}: {c.before} → {c.after}" if c.before else f"{c.field}: {c.after}"
            for c in entry.changes
        )
        yield [
            entry.when.isoformat(),
            entry.who,
            entry.kind.label,
            str(entry.object_id),
            entry.label,
            entry.action,
            entry.reason,
            details,
        ]


@require_safe
@admin_required
def audit_csv(request: AuthedHttpRequest) -> HttpResponseBase:
    """The whole filtered log, streamed: it is read in chunks, never held at once."""
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _csv_rows(form.filters())),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
