from rest_framework.negotiation import DefaultContentNegotiation


class ExportNegotiation(DefaultContentNegotiation):
    """An export is always its own format, whatever the Accept header or a `?format=`
    (which DRF would otherwise take for a renderer's name and answer 404 to `csv`);
    errors come back as JSON, the first renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
