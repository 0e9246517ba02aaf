"""Source references of tasks and clips, as the published files write them: channel,
title and video URL joined by underscores ("Amoeba Sisters_Mitosis_ phases_https://
www.youtube.com/watch?v=f-ldPgEfAHI"), with every part sometimes missing. Parsed
tolerantly: what cannot be read is said, never raised. Django-free."""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

# A YouTube video id: 11 characters of the URL-safe base64 alphabet.
_YT_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YT_HOSTS = {"youtube.com", "m.youtube.com", "music.youtube.com", "youtube-nocookie.com"}
_YT_PATHS = ("embed", "shorts", "v", "live", "e")
# The URL is the last part; it starts at a scheme or at a bare host.
_URL_START = re.compile(r"(?:https?://|www\.|youtu\.be/|(?:m\.)?youtube\.com/)", re.IGNORECASE)


@dataclass(frozen=True)
class SourceRef:
    channel: str
    title: str
    # "youtube:<id>" for a YouTube video, else the URL without scheme, "www.", query
    # order, fragment or trailing slash; "" when the reference names no video.
    video_key: str
    problem: str = ""  # why the reference could not be fully read; "" when it could

    @property
    def ok(self) -> bool:
        return not self.problem


def youtube_id(url: str) -> str:
    """The video id in a YouTube URL (watch?v=, youtu.be/, /embed/, /shorts/, /v/,
    /live/), or "" when it has none."""
    parts = urlsplit(url if "//" in url else f"//{url}")
    host = (parts.hostname or "").lower().removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    candidate = ""
    if host == "youtu.be" and segments:
        candidate = segments[0]
    elif host in _YT_HOSTS:
        if segments[:1] == ["watch"] or not segments:
            candidate = (parse_qs(parts.query).get("v") or [""])[0]
        elif len(segments) >= 2 and segments[0] in _YT_PATHS:
            candidate = segments[1]
    return candidate if _YT_ID.match(candidate) else ""


def video_key(url: str) -> str:
    """One spelling per video: "youtube:<id>" for YouTube, else the normalised URL."""
    url = url.strip()
    if not url:
        return ""
    if found := youtube_id(url):
        return f"youtube:{found}"
    parts = urlsplit(url if "//" in url else f"//{url}")
    host = (parts.hostname or "").lower().removeprefix("www.")
    query = "&".join(sorted(q for q in parts.query.split("&") if q))
    path = parts.path.rstrip("/")
    return f"{host}{path}" + (f"?{query}" if query else "")


def parse(ref: str) -> SourceRef:
    """(channel, title, video key) of a reference. The URL is the last part; the channel
    the first, the title everything between (titles contain underscores, channels
    rarely do). A last part that is a bare 11-character id is taken as a YouTube id."""
    text = " ".join((ref or "").split())
    if not text:
        return SourceRef("", "", "", "empty source reference")
    head, key = text, ""
    if match := _URL_START.search(text):
        head, url = text[: match.start()], text[match.start() :]
        key = video_key(url)
        if "youtu" in url.lower() and not key.startswith("youtube:"):
            return _named(head, key, f"a YouTube URL without a video id: {url}")
    else:
        last = text.rsplit("_", 1)
        if len(last) == 2 and _YT_ID.match(last[1]) and _looks_like_id(last[1]):
            head, key = last[0], f"youtube:{last[1]}"
        elif _YT_ID.match(text) and _looks_like_id(text):
            return SourceRef("", "", f"youtube:{text}")
    return _named(head, key, "" if key else "no video URL or id")


def _named(head: str, key: str, problem: str) -> SourceRef:
    channel, _, title = head.strip().rstrip("_ ").partition("_")
    return SourceRef(channel.strip(), title.strip(" _"), key, problem)


def _looks_like_id(word: str) -> bool:
    """A bare word that is an id rather than a title word: ids mix digits or cases."""
    return any(c.isdigit() for c in word) or (word != word.lower() and word != word.title())
