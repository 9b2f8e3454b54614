"""News intake, the fetching half: the real GET, feeds, drafts and languages.

Everything runs against a real HTTP server on 127.0.0.1 (``tests/intake_server.py``)
serving the hand-written fixtures of ``tests/data/intake``; nothing else is reached. The
expected values were read off the fixtures by hand, and every refusal is checked by its
message.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from forecast.errors import ForecastError
from forecast.intake.encoding import decode_html
from forecast.intake.extract import draft_from_file, draft_from_html, draft_from_url
from forecast.intake.feeds import fetch_feed, fetch_feeds, item_key, parse_feed
from forecast.intake.fetch import Limits, Validators, fetch
from forecast.intake.language import detect_language, language_tag
from tests.intake_server import DATA, ETAG, LAST_MODIFIED, IntakeServer

ROOT = Path(__file__).resolve().parent.parent
QUICK = Limits(timeout=0.4, connect_timeout=0.4)  # the slow routes take seconds
SLOW_ENOUGH = 1.5  # a timed-out GET must give up well before the slow route answers


pytestmark = pytest.mark.usefixtures("no_proxy")


def fixture_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


def refused(call: object, *args: object, **kwargs: object) -> str:
    """The one line a refused call gives the analyst."""
    assert callable(call)
    with pytest.raises(ForecastError) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# --------------------------------------------------------------------------- the GET


def test_a_page_comes_back_byte_for_byte_with_its_type(intake_server: IntakeServer) -> None:
    fetched = fetch(intake_server.url("/files/article-cp1251.html"))
    assert fetched.status == 200
    assert fetched.url == intake_server.url("/files/article-cp1251.html")
    assert fetched.body == fixture_bytes("article-cp1251.html")
    assert (fetched.content_type, fetched.charset) == ("text/html", None)
    assert not fetched.not_modified
    assert intake_server.seen("/files/article-cp1251.html")[-1]["User-Agent"].startswith(
        "forecast/"
    )


def test_a_redirect_is_followed_to_the_page_that_answers(intake_server: IntakeServer) -> None:
    fetched = fetch(intake_server.url("/redirect/rss.xml"))
    assert fetched.url == intake_server.url("/files/rss.xml")
    assert fetched.body == fixture_bytes("rss.xml")


def test_a_chain_within_the_limit_is_followed(intake_server: IntakeServer) -> None:
    fetched = fetch(intake_server.url("/hops/5"))
    assert (fetched.url, fetched.body) == (intake_server.url("/hops/0"), b"the end of the chain\n")


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        (404, "Not Found"),
        (410, "Gone"),
        (500, "Internal Server Error"),
        (503, "Service Unavailable"),
    ],
)
def test_an_error_status_is_one_line(intake_server: IntakeServer, code: int, phrase: str) -> None:
    url = intake_server.url(f"/status/{code}")
    assert refused(fetch, url) == f"{url}: the server answered {code} {phrase}"


def test_an_error_after_a_redirect_names_both_addresses(intake_server: IntakeServer) -> None:
    url, gone = intake_server.url("/redirect/gone.html"), intake_server.url("/files/gone.html")
    assert refused(fetch, url) == (
        f"{url} (redirected to {gone}): the server answered 404 Not Found"
    )


def test_a_redirect_loop_is_named_as_one(intake_server: IntakeServer) -> None:
    url = intake_server.url("/loop/a")
    assert refused(fetch, url) == f"{url}: the redirects run in a loop (back to {url})"


def test_too_many_redirects_are_refused(intake_server: IntakeServer) -> None:
    url = intake_server.url("/hops/6")
    assert refused(fetch, url) == f"{url}: more than 5 redirects; the page was not reached"


def test_a_huge_answer_is_cut_off_and_nothing_is_kept(intake_server: IntakeServer) -> None:
    url = intake_server.url("/huge")
    assert refused(fetch, url) == f"{url}: the server sent more than 5 MB; nothing was stored"


def test_the_size_limit_counts_bytes_and_trusts_a_declared_length(
    intake_server: IntakeServer,
) -> None:
    small = Limits(max_bytes=1_000)
    url = intake_server.url("/files/article-en.html")  # 1,880 bytes, declared in Content-Length
    assert refused(fetch, url, limits=small) == (
        f"{url}: the server sent more than 1,000 bytes; nothing was stored"
    )


@pytest.mark.parametrize("route", ["/slow", "/trickle"])
def test_a_slow_server_is_given_up_on_in_time(intake_server: IntakeServer, route: str) -> None:
    url = intake_server.url(route)
    start = time.monotonic()
    message = refused(fetch, url, limits=QUICK)
    assert time.monotonic() - start < SLOW_ENOUGH
    assert message == f"{url}: the server did not send its answer within 0.4 s"


def test_a_server_that_is_not_there_is_one_line() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed.xml"
    assert refused(fetch, url, limits=QUICK) == f"{url}: could not connect to 127.0.0.1"


WEB_ONLY = "only http and https addresses are fetched"
NOT_WEB = "not a web address; give one that starts with http:// or https://"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://127.0.0.1/feed.xml", f"ftp://127.0.0.1/feed.xml: {WEB_ONLY}, not ftp:"),
        ("file:///etc/passwd", f"file:///etc/passwd: {WEB_ONLY}, not file:"),
        ("javascript:alert(1)", f"javascript:alert(1): {NOT_WEB}"),
        ("127.0.0.1/feed.xml", f"127.0.0.1/feed.xml: {NOT_WEB}"),
        ("http:///feed.xml", "http:///feed.xml: not a valid web address"),
        ("http://bad\nhost/", "http://bad\\nhost/: not a valid web address"),  # one line
    ],
)
def test_only_web_addresses_are_fetched(url: str, message: str) -> None:
    assert refused(fetch, url) == message


def test_a_redirect_away_from_the_web_is_refused(intake_server: IntakeServer) -> None:
    url = intake_server.url("/to-ftp")
    assert refused(fetch, url) == (
        f"ftp://127.0.0.1/feed.xml (a redirect from {url}): {WEB_ONLY}, not ftp:"
    )


def test_a_second_fetch_sends_the_validators_and_gets_not_modified(
    intake_server: IntakeServer,
) -> None:
    path = "/cached/rss.xml"
    first = fetch(intake_server.url(path))
    assert (first.status, first.etag, first.last_modified) == (200, ETAG, LAST_MODIFIED)
    assert first.body == fixture_bytes("rss.xml")
    second = fetch(intake_server.url(path), first.validators)
    assert second.not_modified and second.status == 304 and second.body == b""
    assert second.validators == Validators(ETAG, LAST_MODIFIED)  # the date kept, not resent
    sent = intake_server.seen(path)
    assert "If-None-Match" not in sent[0] and "If-Modified-Since" not in sent[0]
    assert (sent[1]["If-None-Match"], sent[1]["If-Modified-Since"]) == (ETAG, LAST_MODIFIED)


def test_last_modified_alone_is_enough_for_not_modified(intake_server: IntakeServer) -> None:
    fetched = fetch(intake_server.url("/cached/atom.xml"), Validators(last_modified=LAST_MODIFIED))
    assert fetched.not_modified
    assert fetched.validators == Validators(ETAG, LAST_MODIFIED)  # the server's new ETag


# --------------------------------------------------------------------------- feeds


def test_an_rss_feed_is_read_into_items(intake_server: IntakeServer) -> None:
    result = fetch_feed(intake_server.url("/files/rss.xml"))
    assert not result.not_modified and result.error is None
    first, second, third = result.items  # the fourth repeats the first's guid: dropped
    assert first.key == "guid:hw-2025-10-0417"
    assert first.guid == "hw-2025-10-0417"
    assert first.link == "https://harbourwire.example/world/grain-talks-date"
    assert first.title == "Envoys set a date for grain corridor talks"
    assert first.summary == "Negotiators will meet in Vienna on 3 November, two diplomats said."
    assert first.published == datetime(2025, 10, 21, 11, 5, tzinfo=UTC)  # 14:05 +03:00
    assert (first.language, first.author) == ("en", "Mira Castell")

    assert second.key == "url:harbourwire.example/world/port-stoppage-ends"  # no guid
    assert second.guid == ""
    assert second.summary == (
        "Cranes were moving again by dawn & the backlog should clear within a week."
    )
    assert second.published == datetime(2025, 10, 20, 23, 30, tzinfo=UTC)
    assert second.author == "Tomas Reed"  # "desk@harbourwire.example (Tomas Reed)"

    published = datetime(2025, 10, 19, 13, 0, tzinfo=UTC)  # 08:00 -05:00
    assert (third.guid, third.link, third.published) == ("", "", published)
    assert third.key == item_key("", "", "Correction: summit venue was misreported", published)
    assert third.key.startswith("hash:") and len(third.key) == len("hash:") + 32


def test_an_atom_feed_is_read_with_its_languages_and_links(intake_server: IntakeServer) -> None:
    bulgarian, russian = fetch_feed(intake_server.url("/files/atom.xml")).items
    assert bulgarian.key == "guid:tag:dunavski.example,2025:news-88121"
    assert bulgarian.title == "Срещата Рубио–Лавров се отлага"
    assert bulgarian.link == intake_server.url("/novini/sreshtata-se-otlaga")  # relative, resolved
    assert bulgarian.summary == "Подготовката за срещата в Будапеща продължава без ясна дата."
    assert bulgarian.published == datetime(2025, 10, 22, 6, 0, tzinfo=UTC)  # published, not updated
    assert (bulgarian.language, bulgarian.author) == ("bg", "Елена Петкова")
    assert russian.language == "ru"  # its own xml:lang over the feed's
    assert russian.published == datetime(2025, 10, 21, 18, 40, tzinfo=UTC)  # only updated
    assert russian.author == ""


def test_a_feed_with_the_wrong_content_type_is_still_read(intake_server: IntakeServer) -> None:
    wrong = fetch_feed(intake_server.url("/wrong-type/rss.xml"))
    right = fetch_feed(intake_server.url("/files/rss.xml"))
    assert wrong.items == right.items


def test_an_unchanged_feed_is_not_read_again(intake_server: IntakeServer) -> None:
    url = intake_server.url("/cached/atom.xml")
    first = fetch_feed(url)
    assert len(first.items) == 2 and first.validators == Validators(ETAG, LAST_MODIFIED)
    again = fetch_feed(url, first.validators)
    assert again.not_modified and again.items == () and again.validators == first.validators
    assert intake_server.seen("/cached/atom.xml")[-1]["If-None-Match"] == ETAG


@pytest.mark.parametrize(
    ("name", "what"),
    [("not-a-feed.html", "an HTML page"), ("article-en.html", "an HTML page")],
)
def test_a_page_is_not_a_feed(intake_server: IntakeServer, name: str, what: str) -> None:
    url = intake_server.url(f"/files/{name}")
    assert refused(fetch_feed, url) == f"{url}: not an RSS or Atom feed (it is {what})"


def test_bodies_that_are_not_feeds_say_what_they_are() -> None:
    assert refused(parse_feed, b"just some words") == (
        "the feed: not an RSS or Atom feed (it is plain text)"
    )
    assert refused(parse_feed, b"") == "the feed: not an RSS or Atom feed (it is empty)"
    assert refused(parse_feed, b"<note><to>A</to></note>") == (
        "the feed: not an RSS or Atom feed (it is XML of another kind)"
    )
    assert refused(parse_feed, b'{"items": []}', "https://x.example/f", "application/json") == (
        "https://x.example/f: not an RSS or Atom feed (it is application/json)"
    )


def test_broken_xml_with_no_item_is_refused_and_an_empty_feed_is_not() -> None:
    broken = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Cut short'
    assert refused(parse_feed, broken, "https://x.example/feed") == (
        "https://x.example/feed: the feed is broken XML and no item could be read from it"
    )
    empty = b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    assert parse_feed(empty) == ()


def test_item_keys_prefer_the_guid_then_the_link_then_a_hash() -> None:
    when = datetime(2025, 10, 21, tzinfo=UTC)
    assert item_key(" g-1 ", "https://a.example/x", "T", when) == "guid:g-1"
    assert item_key("", "https://www.A.example/x/?utm_source=rss#top", "T", when) == (
        "url:a.example/x"
    )
    assert item_key("", "", "T", when) == item_key("", "", " T ", when)
    assert item_key("", "", "T", when) != item_key("", "", "T", None)
    assert item_key("", "", "T", when) != item_key("", "", "U", when)


def test_one_failing_feed_does_not_stop_the_others(intake_server: IntakeServer) -> None:
    urls = [
        intake_server.url("/files/rss.xml"),
        intake_server.url("/status/404"),
        intake_server.url("/files/atom.xml"),
        intake_server.url("/files/not-a-feed.html"),
        intake_server.url("/slow"),
        intake_server.url("/cached/rss.xml"),
    ]
    old = Validators("stale", None)
    feeds = {url: None for url in urls} | {urls[1]: old, urls[5]: Validators(ETAG)}
    results = fetch_feeds(feeds, limits=QUICK)
    assert [r.url for r in results] == urls
    assert [len(r.items) for r in results] == [3, 0, 2, 0, 0, 0]
    assert [r.error for r in results] == [
        None,
        f"{urls[1]}: the server answered 404 Not Found",
        None,
        f"{urls[3]}: not an RSS or Atom feed (it is an HTML page)",
        f"{urls[4]}: the server did not send its answer within 0.4 s",
        None,
    ]
    assert results[1].validators == old  # a failed fetch keeps what was sent
    assert results[5].not_modified
    assert fetch_feeds({}) == []


# --------------------------------------------------------------------------- drafts


def test_an_english_article_becomes_a_draft(intake_server: IntakeServer) -> None:
    draft = draft_from_url(intake_server.url("/redirect/article-en.html"))
    assert draft.url == intake_server.url("/files/article-en.html")
    assert draft.title == "Envoys set a date for grain corridor talks"
    assert draft.published == datetime(2025, 10, 21, 11, 5, tzinfo=UTC)
    assert (draft.outlet, draft.language, draft.encoding) == ("Harbour Wire", "en", "utf-8")
    assert draft.text == "\n".join(
        [
            "Negotiators from the three governments involved will meet in Vienna on 3 November "
            "to discuss reopening the grain corridor, two diplomats familiar with the plans said "
            "on Tuesday. Neither would be named because the date has not been announced.",
            "The talks had been expected last month but slipped after a dispute over who would "
            'inspect the ships. One of the diplomats said the inspection question was "mostly '
            'settled" and that a joint team would be proposed at the meeting.',
            "Shipping insurers have been waiting for a firm schedule before quoting new rates for "
            "the route. A broker in Piraeus said premiums would fall quickly once a date was "
            "confirmed in writing, but warned that earlier announcements had come to nothing.",
            "The foreign ministry in Vienna declined to comment on the arrangements.",
        ]
    )  # the heading (the title), the byline, menus, "Most read" and the footer left out
    assert draft.original == fixture_bytes("article-en.html")


def test_a_bulgarian_article_becomes_a_draft(intake_server: IntakeServer) -> None:
    draft = draft_from_url(intake_server.url("/files/article-bg.html"))
    assert draft.title == "Срещата Рубио–Лавров се отлага"
    assert draft.published == datetime(2025, 10, 22, 6, 0, tzinfo=UTC)
    assert (draft.outlet, draft.language) == ("Дунавски вестник", "bg")
    assert draft.text.startswith("Планираният разговор между държавния секретар Марко Рубио")
    assert "среща на върха в Будапеща" in draft.text
    assert draft.text.count("\n") == 3  # four paragraphs
    assert draft.original == fixture_bytes("article-bg.html")


def test_a_chinese_article_becomes_a_draft(intake_server: IntakeServer) -> None:
    draft = draft_from_url(intake_server.url("/files/article-zh.html"))
    assert draft.title == "港口罢工结束 货物积压预计一周内清理完毕"
    assert draft.published == datetime(2025, 10, 20, 0, 30, tzinfo=UTC)  # 08:30 +08:00
    assert (draft.outlet, draft.language, draft.encoding) == ("东港日报", "zh", "utf-8")
    assert draft.text.startswith("持续两天的港口工人罢工于周一凌晨结束")
    assert draft.url == intake_server.url("/files/article-zh.html")


def test_a_windows_1251_page_is_read_by_its_meta_charset(intake_server: IntakeServer) -> None:
    draft = draft_from_url(
        intake_server.url("/plain/article-cp1251.html")
    )  # no Content-Type at all
    assert draft.encoding == "cp1251"
    assert draft.title == "Паромная переправа возобновила работу"
    assert (draft.outlet, draft.language) == ("Северный курьер", "ru")
    assert draft.published == datetime(2025, 10, 19, 9, 0, tzinfo=UTC)
    assert draft.text.startswith("Паромная переправа через залив снова принимает пассажиров")
    assert draft.original == fixture_bytes("article-cp1251.html")
    assert draft.original.decode("cp1251").count("ушёл") == 1  # the bytes, not a re-encoding


def test_a_saved_file_becomes_a_draft_with_its_canonical_address() -> None:
    draft = draft_from_file(DATA / "article-bg.html")
    assert draft.url == "https://dunavski.example/novini/sreshtata-se-otlaga"
    assert draft.title == "Срещата Рубио–Лавров се отлага"
    assert draft.original == fixture_bytes("article-bg.html")
    bare = draft_from_html(fixture_bytes("article-zh.html"))
    assert (bare.url, bare.outlet, bare.language) == ("", "东港日报", "zh")


def decoded(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """The text and encoding ``decode_html`` reads ``body`` in (it must read it)."""
    found = decode_html(body, declared)
    assert found is not None
    return found.text, found.encoding


def test_the_declared_charset_comes_first_and_a_wrong_one_is_passed_over() -> None:
    page = fixture_bytes("article-cp1251.html")
    for declared in ("windows-1251", "utf-8", "x-no-such-charset"):  # the last two: the meta's
        assert decoded(page, declared)[1] == "cp1251"
    bom = "\ufeff<p>Привет</p>".encode()
    assert decoded(bom, "cp1251") == ("<p>Привет</p>", "utf-8-sig")  # the byte order mark wins
    quoted = "<p>“quoted”</p>"
    assert decoded(quoted.encode("cp1252"), "iso-8859-1") == (quoted, "cp1252")  # as browsers
    assert decoded("<p>naïve</p>".encode()) == ("<p>naïve</p>", "utf-8")  # nothing declared


def test_a_page_with_no_article_is_refused(intake_server: IntakeServer) -> None:
    url = intake_server.url("/files/no-article.html")
    assert refused(draft_from_url, url) == f"{url}: no article text was found on the page"


def test_a_page_in_no_known_encoding_is_refused(intake_server: IntakeServer) -> None:
    url = intake_server.url("/files/unknown-encoding.html")
    assert refused(draft_from_url, url) == (
        f"{url}: the text is in an encoding that could not be recognised"
    )


def test_drafts_refuse_what_is_not_a_page(intake_server: IntakeServer, tmp_path: Path) -> None:
    pdf = intake_server.url("/pdf")
    assert refused(draft_from_url, pdf) == f"{pdf}: the server sent application/pdf, not a web page"
    missing = intake_server.url("/files/missing.html")
    assert refused(draft_from_url, missing) == f"{missing}: the server answered 404 Not Found"
    assert refused(draft_from_html, b"  \n", "https://x.example/a") == (
        "https://x.example/a: the page is empty"
    )
    nowhere = tmp_path / "nowhere.html"
    assert refused(draft_from_file, nowhere) == f"{nowhere}: No such file or directory"


# --------------------------------------------------------------------------- languages


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Срещата между Рубио и Лавров беше отложена", "bg"),
        ("Встреча министров была отложена на неопределённый срок", "ru"),
        ("Зустріч міністрів було відкладено", "uk"),
        ("会议被推迟了", "zh"),
        ("The meeting was postponed", "en"),
        ("Das Treffen wurde verschoben", "de"),
        ("La réunion a été reportée", "fr"),
        ("La reunión fue aplazada", "es"),
        ("تم تأجيل الاجتماع", "ar"),
        ("OK", None),
        ("G7", None),
        ("Budapest", None),  # a name alone: Hungarian at best a guess
        ("", None),
        ("2025-10-21 14:05", None),
    ],
)
def test_language_detection_names_the_language_or_says_it_is_unsure(
    text: str, code: str | None
) -> None:
    assert detect_language(text) == code


def test_declared_language_tags_become_iso_codes() -> None:
    assert [language_tag(t) for t in ("en-US", "bg_BG", "ZH", " ru ", "fil", "", None)] == [
        "en", "bg", "zh", "ru", None, None, None,
    ]  # fmt: skip


def test_importing_intake_loads_none_of_its_libraries() -> None:
    """The libraries load where they are used: a command that takes in no news pays nothing."""
    code = (
        "import sys\n"
        "import forecast.intake.extract, forecast.intake.feeds, forecast.intake.language\n"
        "heavy = ('httpx', 'feedparser', 'trafilatura', 'lingua', 'charset_normalizer')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"
