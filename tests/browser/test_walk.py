"""Every demo role's pages, walked as a user would (issue 12, second "Done when" bullet).

The demo is built once per test process (``setup_portal --demo``, what `make run` does; replayed for the
second walk). One walk a window size, at a phone's 390×844 and at 1366×768 (two tests: parallel workers take
one each). For each account of
``setup_portal.DEMO_ACCOUNTS`` (so appraisers added there are walked too) the walker logs in and follows, breadth
first from the home page, every same-origin GET link it sees. It skips
logout, downloads (.xlsx/.pdf/.csv, the export download), the language switch and the Django admin (walked only for
staff accounts, after the portal's own pages), and visits each kind of page — its path with the digits replaced by
"N" — at most ``PER_PATTERN`` times, at most ``PAGES_PER_ROLE`` portal pages (and ``ADMIN_PAGES`` admin pages) per
role and width, so the walk stays within a few minutes.

A page fails the walk on: an HTTP status ≥ 500; a document wider than the window
(``document.documentElement.scrollWidth > window.innerWidth + 1``: the whole page scrolls sideways); a console
error (the browser's own /favicon.ico probe aside) or an uncaught page error; a visible English leftover of ``ENGLISH_LEFTOVERS`` (whole words, case-sensitive,
in the visible text of the body). Every problem is collected; one assert at the end lists them all.
"""

import re
from collections import deque
from urllib.parse import urldefrag, urlparse

import pytest

#: (width, height) of the windows walked: a phone, a laptop.
VIEWPORTS = ((390, 844), (1366, 768))
#: Pages visited per role and viewport at most: the portal's own, and the Django admin's (staff accounts only).
PAGES_PER_ROLE = 40
ADMIN_PAGES = 12
#: Visits of one kind of page (its path, digits → "N", and its query's names) per role and viewport at most.
PER_PATTERN = 2

#: English words a Vietnamese user must not see — the leftovers met so far: Django's and the browser's own texts
#: (validation bubbles, admin filters, debug and error pages), Python values printed raw, untranslated buttons.
#: Whole words, case-sensitive ("Home" but not "home" in an address).
ENGLISH_LEFTOVERS = (
    "Please enter",
    "Please select",
    "Show counts",
    "Page not found",
    "Server Error",
    "Server error",
    "Traceback",
    "None",
    "True",
    "False",
    "nan",
    "NaN",
    "Delete",
    "Save",
    "Search",
    "Add",
    "Home",
    "Log out",
    "Log in",
    "Submit",
    "Cancel",
    "Filter",
    "Loading",
    "Previous",
    "Next",
    "This field is required",
    "Forbidden",
    "Not Found",
)
_LEFTOVER_RE = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH_LEFTOVERS) + r")(?![\w-])")

#: Links not followed: logout and the language switch (POST forms anyway), downloads, media files.
_SKIP_PATH = re.compile(r"(/accounts/logout|/i18n/|/tai-ve/|/media/|\.(xlsx|xls|pdf|csv|zip|docx?)$)")

#: A visible English word in the page: the body's innerText (only rendered, visible text).
_VISIBLE_TEXT = "() => document.body ? document.body.innerText : ''"
_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"
_LINKS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter(a => !a.hasAttribute('download') && (!a.target || a.target === '_self'))
  .map(a => a.href)"""


@pytest.fixture
def demo(monkeypatch, setup_portal):
    """The demo portal, for each walk (a transactional test flushes the database after it): built once per test
    process, replayed after (root conftest ``setup_portal``)."""
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    setup_portal(demo=True)


def pattern(url: str) -> str:
    """The kind of page of ``url``: its path with digit runs as "N", plus the sorted names of its query."""
    parts = urlparse(url)
    names = sorted({q.split("=", 1)[0] for q in parts.query.split("&") if q})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(names) if names else "")


def english_leftovers(text: str) -> list[str]:
    """The leftover words of ``ENGLISH_LEFTOVERS`` found in ``text`` (sorted, each once)."""
    return sorted(set(_LEFTOVER_RE.findall(text)))


def test_english_leftovers_are_whole_words():
    assert english_leftovers("Please enter a value. None. Trang chủ") == ["None", "Please enter"]
    assert english_leftovers("Addison Homepage nonexistent Savefile") == []


def walk(page, base: str, staff: bool, problems: list, label: str) -> int:
    """Breadth-first walk from the home page; appends ``problems`` (strings). Returns the pages visited."""
    seen_urls: set[str] = set()
    per_pattern: dict[str, int] = {}
    queue, admin_queue = deque([base + "/"]), deque()
    visited = 0
    console: list[str] = []

    def on_console(message):
        source = (message.location or {}).get("url", "")
        # The browser's own /favicon.ico probe on pages without an icon link (the Django admin's) is not the page's.
        if message.type == "error" and not source.endswith("/favicon.ico"):
            console.append(f"{message.text} ({source.removeprefix(base)})" if source else message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: console.append(f"page error: {e}"))
    admin_visited = 0
    while queue and visited < PAGES_PER_ROLE or admin_queue and admin_visited < ADMIN_PAGES:
        in_admin = not queue or visited >= PAGES_PER_ROLE
        url = (admin_queue if in_admin else queue).popleft()
        kind = pattern(url)
        if url in seen_urls or per_pattern.get(kind, 0) >= PER_PATTERN:
            continue
        seen_urls.add(url)
        per_pattern[kind] = per_pattern.get(kind, 0) + 1
        console.clear()
        response = page.goto(url, wait_until="load")
        if in_admin:
            admin_visited += 1
        else:
            visited += 1
        where = f"{label} {url.removeprefix(base)}"
        if response is None:
            continue
        if response.status >= 500:
            problems.append(f"{where}: HTTP {response.status}")
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        page.wait_for_timeout(50)  # scripts run on load (charts) may still log errors
        scroll_width, inner_width = page.evaluate(_WIDTH)
        if scroll_width > inner_width + 1:
            problems.append(f"{where}: page {scroll_width}px wide in a {inner_width}px window")
        words = english_leftovers(page.evaluate(_VISIBLE_TEXT))
        if words:
            problems.append(f"{where}: English text {words}")
        for message in console:
            problems.append(f"{where}: console: {message[:200]}")
        for href in page.evaluate(_LINKS):
            href = urldefrag(href).url
            path = urlparse(href).path
            if not href.startswith(base) or _SKIP_PATH.search(path):
                continue
            if path.startswith("/admin/") and not staff:
                continue
            if href not in seen_urls:
                (admin_queue if path.startswith("/admin/") else queue).append(href)
    return visited + admin_visited


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("width", "height"), VIEWPORTS, ids=["phone", "laptop"]
)  # one walk a width: in parallel
def test_every_demo_role_walks_its_pages_at_phone_and_laptop_widths(
    demo, browser, live_server, width, height
):
    from django.contrib.auth import get_user_model

    from units.management.commands.setup_portal import DEMO_ACCOUNTS

    password = "parindex-demo"  # setup_portal's default (DEMO_PASSWORD unset by the fixture)
    problems: list[str] = []
    visited = {}
    users = get_user_model().objects.in_bulk([a[0] for a in DEMO_ACCOUNTS], field_name="username")
    for username, *_ in DEMO_ACCOUNTS:
        context = browser.new_context(
            base_url=live_server.url, locale="vi-VN", viewport={"width": width, "height": height}
        )
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button:has-text('Đăng nhập')")
        page.wait_for_load_state("load")
        if "/accounts/login/" in page.url:
            problems.append(f"{username}: cannot log in with the demo password")
        else:
            visited[(username, width)] = walk(
                page, live_server.url, users[username].is_staff, problems, f"[{username} {width}px]"
            )
        context.close()
    assert all(n > 1 for n in visited.values()), visited
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
