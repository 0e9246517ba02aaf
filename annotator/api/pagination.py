from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Cursor pages ordered by id: stable while rows are added or edited between two
    pages (an offset would skip or repeat rows), and constant cost at any depth."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
