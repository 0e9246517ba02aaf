"""REST API of the rubrics under /api/v1/: serializers, filters, schema examples,
exports and viewsets; urls.py routes them."""
