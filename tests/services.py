"""What tests that drive real services share: the skip when PostgreSQL and Redis are
not the run's, and a free loopback port."""

import socket

import pytest
from django.conf import settings
from django.db import connection

# bin/test's second leg runs on PostgreSQL with REDIS_URL set; the first (SQLite) skips.
NEEDS_POSTGRES_AND_REDIS = [
    pytest.mark.services,
    pytest.mark.skipif(
        not settings.REDIS_URL or connection.vendor != "postgresql",
        reason="needs REDIS_URL and PostgreSQL (bin/test sets both when they answer)",
    ),
]


def free_port() -> int:
    """A loopback port where nothing listens (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
