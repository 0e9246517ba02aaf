import pytest

from annotator.source_refs import parse, video_key, youtube_id

ID = "f-ldPgEfAHI"


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.youtube.com/watch?v={ID}",
        f"https://youtube.com/watch?feature=share&v={ID}&t=42s",
        f"http://m.youtube.com/watch?v={ID}",
        f"https://youtu.be/{ID}",
        f"https://youtu.be/{ID}?si=abcdef",
        f"https://www.youtube.com/embed/{ID}",
        f"https://www.youtube-nocookie.com/embed/{ID}?rel=0",
        f"https://youtube.com/shorts/{ID}",
        f"https://www.youtube.com/live/{ID}",
        f"www.youtube.com/watch?v={ID}",
        f"youtu.be/{ID}",
    ],
)
def test_it_reads_the_id_of_every_youtube_form(url):
    assert youtube_id(url) == ID
    assert parse(f"Amoeba Sisters_Mitosis_{url}").video_key == f"youtube:{ID}"


def test_it_splits_channel_and_a_title_with_underscores():
    ref = parse(f"Amoeba Sisters_Mitosis_ phases_of the cell_https://youtu.be/{ID}")
    assert (ref.channel, ref.title, ref.video_key, ref.ok) == (
        "Amoeba Sisters",
        "Mitosis_ phases_of the cell",
        f"youtube:{ID}",
        True,
    )


def test_it_reads_a_bare_id():
    assert parse(ID).video_key == f"youtube:{ID}"
    assert parse(f"Crash Course_Cells_{ID}") == parse(f"Crash Course_Cells_https://youtu.be/{ID}")


def test_a_title_word_is_not_an_id():
    ref = parse("Crash Course_Photosynthe")  # 11 lower-case letters
    assert (ref.channel, ref.title, ref.video_key) == ("Crash Course", "Photosynthe", "")
    assert ref.problem == "no video URL or id"


def test_other_urls_are_normalised():
    a = parse("LabChannel_Capillary flow_https://www.Example.org/v/1/?b=2&a=1#t")
    b = parse("LabChannel_Capillary flow_http://example.org/v/1?a=1&b=2")
    assert a.video_key == b.video_key == "example.org/v/1?a=1&b=2"
    assert video_key("https://vimeo.com/12345") == "vimeo.com/12345"


@pytest.mark.parametrize(
    ("ref", "problem"),
    [
        ("", "empty source reference"),
        ("   ", "empty source reference"),
        (None, "empty source reference"),
        ("OnlyAChannel", "no video URL or id"),
        ("Chan_Title_https://www.youtube.com/channel/UCxyz", "a YouTube URL without a video id"),
        ("Chan_Title_https://youtu.be/", "a YouTube URL without a video id"),
    ],
)
def test_unreadable_references_say_why_and_never_raise(ref, problem):
    parsed = parse(ref)
    assert parsed.problem.startswith(problem)
    assert not parsed.ok


def test_missing_channel_and_title():
    ref = parse(f"https://www.youtube.com/watch?v={ID}")
    assert (ref.channel, ref.title, ref.video_key, ref.ok) == ("", "", f"youtube:{ID}", True)
    ref = parse(f"_Cells_https://youtu.be/{ID}")
    assert (ref.channel, ref.title) == ("", "Cells")
