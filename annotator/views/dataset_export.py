from django import forms
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from annotator.core.htmx import AuthedHttpRequest
from annotator.core.permissions import reviewer_required
from annotator.core.query_forms import cleaned_input
from annotator.selectors.dataset_export import dataset_export, snapshot_parse


class ExportQuery(forms.Form):
    # Leave out the clips confirmed as overlapping a benchmark task (contamination).
    exclude_overlaps = forms.BooleanField(required=False)


@reviewer_required
@require_safe
def dataset_export_view(request: AuthedHttpRequest, export_format: str) -> HttpResponseBase:
    as_of = snapshot_parse(request.GET.get("as_of"))
    export = dataset_export(
        export_format=export_format,
        as_of=as_of,
        base_url=request.build_absolute_uri("/"),
        exclude_overlaps=cleaned_input(ExportQuery(request.GET))["exclude_overlaps"],
    )
    response: HttpResponseBase
    if export.streamed:
        response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    else:
        response = HttpResponse(b"".join(export.chunks), content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response
