"""Synthetic gold clips: admins make known-bad copies of accepted clips and follow them;
batches mix them in from the new-batch form (views/work.py)."""

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from annotator.core import queue
from annotator.core.errors import InputError
from annotator.core.forms import StyledFieldsMixin
from annotator.core.htmx import AuthedHttpRequest
from annotator.core.permissions import admin_required
from annotator.models import GoldVariant, Job
from annotator.models.choices import GoldDefect, ReportStatus
from annotator.services import gold_clips

RECENT = 50


class GoldForm(StyledFieldsMixin, forms.Form):
    clips = forms.IntegerField(
        min_value=1,
        max_value=10_000,
        initial=20,
        label=_("Accepted clips to copy"),
        help_text=_("drawn at random among the accepted clips with no gold copy yet"),
    )
    defects = forms.MultipleChoiceField(
        choices=GoldDefect.choices,
        initial=GoldDefect.values,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one defect to put in.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["defects"].widget.attrs["class"] = "form-check-input"


@admin_required
@require_http_methods(["GET", "HEAD", "POST"])
def gold_clips_view(request: AuthedHttpRequest) -> HttpResponse:
    form = GoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with queue.watch_for_page(request):
                job = gold_clips.gold_variants_start(
                    sources=gold_clips.clips_to_copy(data["clips"]),
                    defects=data["defects"],
                    user=request.user,
                )
        except InputError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Job #%(job)s started: %(total)d gold copies to make.")
                % {"job": job.pk, "total": job.total},
            )
            return redirect("job-detail", pk=job.pk)
    counts: dict[str, dict[str, int]] = {d: {} for d in GoldDefect.values}
    for defect, status, n in (
        GoldVariant.objects.values_list("defect", "status").annotate(n=Count("pk")).order_by()
    ):
        counts[defect][status] = n
    context = {
        "form": form,
        "counts": [(GoldDefect(d).label, c) for d, c in counts.items()],
        "statuses": ReportStatus.choices,
        "variants": GoldVariant.objects.select_related("source", "reason", "video")[:RECENT],
        "jobs": Job.objects.filter(kind=gold_clips.JOB_KIND)[:10],
    }
    status = 422 if form.errors else 200
    return render(request, "annotator/gold_clips.html", context, status=status)
