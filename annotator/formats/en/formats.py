"""Dates in English pages: ISO-like, as the pages have always shown them (and as the
exports write them), rather than Django's "Dec. 3, 2026, 1:05 a.m."."""

DATETIME_FORMAT = "Y-m-d H:i:s"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
