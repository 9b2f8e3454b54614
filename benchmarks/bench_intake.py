"""News intake speed: feeds fetched and read, drafts extracted, languages detected.

1. 50 RSS feeds of 100 items each, served by the tests' local HTTP server, fetched and
   read with `fetch_feeds` (target: under 10 s), then fetched again with their validators
   (every one answers 304);
   the same through the inbox (`forecast intake fetch`): into a fresh SQLite store, every
   item stored as an entry, then again (nothing new), then a page of the inbox listed with
   its suggested questions (the demo's);
2. the article fixtures read into drafts (trafilatura), per page;
3. language detection (lingua, the fixed list of `forecast.intake.language`): the memory
   and time its first use costs, measured in a fresh process, and the time per headline.

Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/bench_intake.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the local server lives there

from intake_server import DATA, IntakeServer  # noqa: E402

from forecast.intake.extract import draft_from_html  # noqa: E402
from forecast.intake.feeds import fetch_feeds  # noqa: E402
from forecast.intake.language import detect_language  # noqa: E402

N_FEEDS, N_ITEMS = 50, 100
RUNS = 3
FIRST = datetime(2025, 10, 1, tzinfo=UTC)
ARTICLES = ("article-en.html", "article-bg.html", "article-zh.html", "article-cp1251.html")
HEADLINES = (
    "Envoys set a date for grain corridor talks",
    "Срещата Рубио–Лавров се отлага",
    "Переговоры в Будапеште перенесены",
    "Зустріч міністрів було відкладено",
    "港口罢工结束 货物积压预计一周内清理完毕",
    "Das Treffen der Außenminister wurde verschoben",
    "تم تأجيل الاجتماع",
)
# Run in a fresh process, so the figures are the detector's own: resident memory (Linux's
# VmRSS, in kB; the peak would be the forking parent's) before and after the first
# detection of a few headlines in different scripts.
FIRST_USE = """
import re, time
from pathlib import Path
from forecast.intake.language import detect_language

def resident():
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\\s+(\\d+)", status).group(1))

texts = {headlines!r}
before = resident()
start = time.perf_counter()
for text in texts:
    detect_language(text)
seconds = time.perf_counter() - start
print(seconds, (resident() - before) / 1024)
"""


def line(label: str, seconds: float, target: float | None = None) -> None:
    goal = "" if target is None else f"   (target < {target:g} s)"
    print(f"{label:<58} {seconds:7.3f} s{goal}")


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def feed(number: int) -> bytes:
    """An RSS 2.0 feed of ``N_ITEMS`` made-up items."""
    items = []
    for i in range(N_ITEMS):
        when = format_datetime(FIRST + timedelta(hours=number * N_ITEMS + i))
        items.append(
            f"<item><title>Feed {number}, item {i}: ministers meet again</title>"
            f"<link>https://outlet{number}.example/news/{i}?utm_source=rss</link>"
            f'<guid isPermaLink="false">feed-{number}-item-{i}</guid>'
            f"<pubDate>{when}</pubDate><author>desk@outlet{number}.example (Desk {number})</author>"
            f"<description>&lt;p&gt;Item {i} of feed {number}: a &lt;b&gt;short&lt;/b&gt; "
            "summary of what was said.&lt;/p&gt;</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Outlet {number}</title><language>en</language>{''.join(items)}</channel></rss>"
    ).encode()


def feeds(server: IntakeServer) -> None:
    urls = []
    for number in range(N_FEEDS):
        path = f"/bench/feed-{number}.xml"
        server.pages[path] = ("application/rss+xml", feed(number))
        urls.append(server.url(path))
    times = []
    for _ in range(RUNS):
        seconds, results = timed(lambda: fetch_feeds(dict.fromkeys(urls)))
        times.append(seconds)
    items = sum(len(r.items) for r in results)
    errors = sum(r.error is not None for r in results)
    line(f"{N_FEEDS} feeds x {N_ITEMS} items fetched and read (best of {RUNS})", min(times), 10)
    print(f"{'':<4}{items:,} items, {errors} errors; median {statistics.median(times):.3f} s")


def into_the_inbox(server: IntakeServer) -> None:
    import tempfile

    from forecast import drafting, news
    from forecast.api import Tracker

    with tempfile.TemporaryDirectory() as folder:
        tracker = Tracker.open(str(Path(folder) / "bench.db"))
        seed = ROOT / "seeds" / "putin-trump-2025.yaml"
        tracker.import_scenario(seed.read_text(encoding="utf-8"))  # questions to suggest
        for number in range(N_FEEDS):
            tracker.add_feed(server.url(f"/bench/feed-{number}.xml"), feed_id=f"feed-{number}")
        seconds, runs = timed(lambda: news.fetch_feeds(tracker))
        stored = sum(len(r.stored) for r in runs)
        line(f"`intake fetch`: {N_FEEDS} feeds into the inbox, first time", seconds, 10)
        print(f"{'':<4}{stored:,} entries stored (language detected for each)")
        seconds, runs = timed(lambda: news.fetch_feeds(tracker))
        again = sum(len(r.stored) for r in runs)
        line(f"`intake fetch`: the same {N_FEEDS} feeds again", seconds)
        print(f"{'':<4}{again} new: every item was taken in already")
        seconds, page = timed(lambda: tracker.inbox(search="ministers"))
        line(f"a page of the inbox, searched, out of {page.total:,}", seconds)
        suggester = drafting.Suggester(tracker)
        seconds, _ = timed(lambda: news.matches(suggester, list(page.entries)))
        line(f"their questions suggested ({len(page.entries)} entries, demo)", seconds)
        tracker.store.close()


def not_modified(server: IntakeServer) -> None:
    path = "/cached/rss.xml"
    validators = fetch_feeds({server.url(path): None})[0].validators
    urls = {server.url(path) + f"?copy={n}": validators for n in range(N_FEEDS)}
    seconds, results = timed(lambda: fetch_feeds(urls))
    unchanged = sum(r.not_modified for r in results)
    line(f"{N_FEEDS} unchanged feeds fetched with their validators", seconds)
    print(f"{'':<4}{unchanged} of {N_FEEDS} answered 304")


def drafts() -> None:
    pages = [(DATA / name).read_bytes() for name in ARTICLES]
    draft_from_html(pages[0])  # imports trafilatura: not a page's cost
    rounds = 25
    seconds, _ = timed(lambda: [draft_from_html(page) for _ in range(rounds) for page in pages])
    per = seconds / (rounds * len(pages))
    print(f"{'one article page read into a draft (mean)':<58} {per * 1000:7.3f} ms")


def languages() -> None:
    code = FIRST_USE.format(headlines=HEADLINES)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    seconds, megabytes = (float(x) for x in done.stdout.split())
    line("language detector: first use (loads its models)", seconds)
    print(f"{'':<4}resident memory up by {megabytes:.0f} MB (its models)")
    rounds = 200
    detect_language(HEADLINES[0])
    spent, _ = timed(lambda: [detect_language(h) for _ in range(rounds) for h in HEADLINES])
    per = spent / (rounds * len(HEADLINES))
    print(f"{'language detection, per headline':<58} {per * 1000:7.3f} ms")


def main() -> None:
    with IntakeServer() as server:
        feeds(server)
        not_modified(server)
        into_the_inbox(server)
    drafts()
    languages()


if __name__ == "__main__":
    main()
