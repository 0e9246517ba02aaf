"""annotator.core.visibility for templates: whether the user may see generator models, and
a video's model as they may see it."""

from django import template

from annotator.core import visibility
from annotator.models import Video

register = template.Library()


@register.filter
def may_see_generator(user) -> bool:
    return visibility.may_see_generator(user)


@register.simple_tag(takes_context=True)
def generator_name(context: template.Context, video: Video) -> str:
    return visibility.generator_name(video, context["user"])
