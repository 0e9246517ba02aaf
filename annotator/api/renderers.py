"""The API's renderers: JSON, and DRF's browsable pages for a person with a session."""

from typing import Any

from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API without its inline <style> of Pygments rules, which the
    Content-Security-Policy refuses: they only colour code in Markdown descriptions,
    and this project renders none (Python-Markdown is not installed)."""

    def get_context(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(*args, **kwargs)
        context["code_style"] = None
        return context
