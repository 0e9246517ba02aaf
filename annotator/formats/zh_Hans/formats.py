"""Dates in Simplified Chinese pages: 2026年12月3日 01:05, with a 24-hour clock."""

DATETIME_FORMAT = "Y年n月j日 H:i:s"
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"
DATE_FORMAT = "Y年n月j日"
SHORT_DATE_FORMAT = "Y年n月j日"
