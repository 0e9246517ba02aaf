import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from annotator.core.forms import StyledForm
from annotator.models import GeneratorModel, ImportBatch, Video
from annotator.models.choices import MediaStatus, VideoKind


class VideoFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=VideoKind.choices, empty_label=_("All kinds"))
    media_status = django_filters.ChoiceFilter(
        choices=MediaStatus.choices, empty_label=_("Any state")
    )
    generator = django_filters.ModelChoiceFilter(
        queryset=GeneratorModel.objects.all(), empty_label=_("All models")
    )
    batch = django_filters.ModelChoiceFilter(
        queryset=ImportBatch.objects.all(), empty_label=_("All batches")
    )

    class Meta:
        model = Video
        fields = ["q", "kind", "media_status", "generator", "batch"]
        # The page draws the search box itself and the selects as they are.
        form = StyledForm

    def search(self, queryset: QuerySet[Video], name: str, value: str) -> QuerySet[Video]:
        return queryset.filter(
            Q(original_name__icontains=value)
            | Q(caption__icontains=value)
            | Q(source_ref__icontains=value)
            | Q(source_path__icontains=value)
        )
