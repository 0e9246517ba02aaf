"""Calibration batches: a reviewer draws a random sample of a benchmark's (video,
dimension) items for experts to verify, which the leaderboard's human-corrected score
rests on (annotator/selectors/calibration.py)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from annotator.core.errors import InputError
from annotator.core.forms import StyledFieldsMixin
from annotator.core.htmx import AuthedHttpRequest
from annotator.core.permissions import reviewer_required
from annotator.core.query_forms import ModelIdChoiceField, ModelIdMultipleChoiceField
from annotator.models import Judgment, User
from annotator.selectors.verdicts import judges_of
from annotator.services.calibration import MAX_SEED, calibration_batch_create
from rubrics_app.models import Benchmark, Release


class CalibrationForm(StyledFieldsMixin, forms.Form):
    name = forms.CharField(required=False, max_length=200, help_text=_("optional"))
    benchmark = ModelIdChoiceField(
        queryset=Benchmark.objects.order_by("name"),
        error_messages={
            "required": _("Choose the benchmark."),
            "invalid_choice": _("No such benchmark."),
        },
    )
    release = ModelIdChoiceField(
        queryset=Release.objects.select_related("benchmark").order_by("benchmark", "name"),
        required=False,
        empty_label=_("current approved criteria"),
        error_messages={"invalid_choice": _("No such release.")},
    )
    judge = forms.CharField(required=False, max_length=100, help_text=_("whose drafts"))
    size = forms.IntegerField(
        min_value=1,
        max_value=10**6,
        error_messages={
            "required": _("Give the sample size."),
            "min_value": _("The sample size must be at least 1."),
        },
    )
    seed = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_SEED, help_text=_("optional: random if empty")
    )
    users = ModelIdMultipleChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        error_messages={"required": _("Choose the experts who verify the sample.")},
    )
    overlap = forms.IntegerField(min_value=1, max_value=20, initial=1)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        release, benchmark = data.get("release"), data.get("benchmark")
        if release is not None and benchmark is not None and release.benchmark_id != benchmark.pk:
            self.add_error("release", f"Release {release.name} is not one of {benchmark.name}.")
        return data


@reviewer_required
@require_http_methods(["GET", "HEAD", "POST"])
def calibration_new(request: AuthedHttpRequest) -> HttpResponse:
    """The draw's parameters; created, the batch's dashboard shows the draw."""
    form = CalibrationForm(
        request.POST or None, initial={"benchmark": request.GET.get("benchmark"), "overlap": 1}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batch = calibration_batch_create(
                benchmark=data["benchmark"],
                release=data["release"],
                judge_model=data["judge"] or None,
                size=data["size"],
                seed=data["seed"],
                users=list(data["users"]),
                overlap=data["overlap"],
                name=data["name"],
                created_by=request.user,
            )
        except InputError as exc:
            form.add_error(None, list(exc.messages))
        else:
            messages.success(
                request, _("Batch %(name)s drawn and handed out.") % {"name": batch.name}
            )
            return redirect("batch-dashboard", pk=batch.pk)
    # A refused form is a 422 with its reasons in place, as the other forms.
    status = 422 if form.errors else 200
    context = {"form": form, "judges": judges_of(Judgment.objects.all())}
    return render(request, "annotator/calibration_new.html", context, status=status)
