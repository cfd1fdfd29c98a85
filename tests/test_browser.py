"""The web page (src/klimatgraf/web) in a real headless Chromium against a real `klimatgraf serve` of the seeds.

Playwright drives Debian's /usr/bin/chromium (installed by `make clients`); nothing is downloaded and a
missing browser fails the run. Expected answers come from the same server's JSON API, never from
hard-coded seed wording, so the tests say "the page shows what the API answers".

Run as a script it saves the README screenshots (`make screenshots`):
    python tests/test_browser.py --build-dir build --out docs
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

import serve_fixtures
from serve_fixtures import start_server

served = serve_fixtures.served  # session fixtures: a real `klimatgraf serve` of the seeds (graph + e5 index)
served_build = serve_fixtures.served_build

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # sigma.js draws with WebGL; without a GPU Chromium needs its software renderer allowed explicitly.
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]
QUESTION = "vem arbetar med matsvinn"
SCREENSHOTS = ("web-search.png", "web-compare.png", "web-themes.png", "web-network.png", "web-sparql.png")


def chromium_path() -> str:
    """Debian's chromium; its absence is an error (the suite must not silently skip the browser)."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        raise RuntimeError(
            "chromium is missing: run `make clients` (apt-get install chromium) before the browser tests"
        )
    return found


@dataclass
class Tab:
    """A page plus everything it asked for and every script error it raised."""

    page: Page
    base: str
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)  # the console's errors (a CSP violation is one)

    def violations(self) -> list[str]:
        """What the page's own Content-Security-Policy blocked (issue 24: its inline styles and
        data: favicon were six console errors): the events the page recorded, and the console's."""
        recorded = self.page.evaluate("window.__cspViolations || []")
        return [*recorded, *(m for m in self.console if "Content Security Policy" in m)]

    def open(self, route: str = "") -> None:
        """Load the page afresh at a route (a hash-only goto would keep the old document and its ready flag)."""
        self.page.goto("about:blank")
        self.page.goto(f"{self.base}/{route}")
        self.page.wait_for_selector("body[data-ready]")

    def api(self, path: str) -> Any:
        response = self.page.request.get(f"{self.base}{path}")
        assert response.ok, f"{path}: {response.status} {response.text()}"
        return response.json()


def new_tab(browser: Browser, base: str) -> Tab:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    tab = Tab(page, base.rstrip("/"))
    page.on("request", lambda r: tab.requests.append(r.url))
    page.on("response", lambda r: tab.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("pageerror", lambda e: tab.errors.append(str(e)))
    page.on("console", lambda m: tab.console.append(m.text) if m.type == "error" else None)
    page.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    return tab


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        executable = chromium_path()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def tab(browser: Browser, served: str) -> Iterator[Tab]:
    t = new_tab(browser, served)
    yield t
    violations = t.violations() if not t.page.is_closed() else []
    t.page.close()
    assert t.errors == [], f"script errors in the page: {t.errors}"
    assert violations == [], f"the page broke its own Content-Security-Policy: {violations}"


# --------------------------------------------------------------------------------------------- helpers


def search(tab: Tab, question: str) -> None:
    """Type a question into the box and press Enter, as a person does; wait for this question's answer."""
    box = tab.page.locator("#q")
    box.fill(question)
    box.press("Enter")
    tab.page.wait_for_function(
        "q => document.querySelector('#search-results')?.dataset.query === q && "
        "!document.querySelector('#search-results').hasAttribute('aria-busy')",
        arg=question,
    )


def shown_municipalities(tab: Tab) -> list[str]:
    return tab.page.locator("#search-results .result").evaluate_all("els => els.map(e => e.dataset.municipality)")


def words(text: str) -> str:
    return " ".join(text.replace("…", " ").split())


def capture(tab: Tab, out: Path) -> list[Path]:
    """Screenshots of the search answer, compare, topics, network and SPARQL views, each written atomically."""
    out.mkdir(parents=True, exist_ok=True)
    page = tab.page
    written = []

    def shot(name: str, **options: Any) -> None:
        fd, tmp = tempfile.mkstemp(suffix=".png", dir=out)
        os.close(fd)
        page.screenshot(path=tmp, **options)
        os.replace(tmp, out / name)
        written.append(out / name)

    names = sorted({d["municipality"] for d in tab.api("/api/municipalities")})
    tab.api("/api/search?q=klimatarbete&group=municipality")  # a warm server, as people meet it
    tab.open()
    search(tab, QUESTION)
    shot("web-search.png")
    tab.open("#/jamfor?" + "&".join(f"m={quote(n)}" for n in names[:3]))
    page.wait_for_selector("#compare-table")
    shot("web-compare.png")
    tab.open("#/teman")
    page.wait_for_selector("#themes-table")
    busiest = max(
        page.locator("#themes-table button.heat").all(), key=lambda b: int(b.get_attribute("data-passages") or 0)
    )
    busiest.click()
    page.wait_for_selector("#themes-passages li")
    shot("web-themes.png")
    tab.open("#/natverk")
    page.wait_for_selector("#network-graph[data-nodes] canvas")
    page.locator("#network-status").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.querySelector('#network-title').offsetTop - 8)")
    page.wait_for_timeout(400)  # sigma draws on the next animation frames
    shot("web-network.png")
    tab.open("#/sparql?exempel=twins")
    page.locator("#sparql-button").click()
    page.wait_for_selector("#sparql-table")
    shot("web-sparql.png")
    return written


# --------------------------------------------------------------------------------------------- search


def test_search_ranks_municipalities_with_marked_evidence(tab: Tab) -> None:
    tab.open()
    search(tab, QUESTION)
    shown = shown_municipalities(tab)
    assert "Alvesta" in shown and set(shown) <= {"Alvesta", "Avesta"}, shown  # only those whose text answers
    expected = tab.api(f"/api/search?q={quote(QUESTION)}&group=municipality&k=10")
    assert shown == [g["municipality"] for g in expected]  # the page keeps the server's ranking
    first = tab.page.locator("#search-results .result").first
    marks = first.locator("mark").all_inner_texts()
    assert marks and all(m.casefold().startswith("matsvinn") for m in marks), marks
    links = first.locator(".source a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert len(links) == len(expected[0]["evidence"])
    assert all(re.fullmatch(r"#/dokument/[^/]+/.+", h) for h in links), links
    type_filter = tab.page.locator("#filter-type")
    doc_type = type_filter.locator("option").nth(1).get_attribute("value")
    type_filter.select_option(doc_type)  # a filter change searches again at once
    filtered = tab.api(f"/api/search?q={quote(QUESTION)}&group=municipality&k=10&type={doc_type}")
    tab.page.wait_for_function(
        "n => document.querySelectorAll('#search-results .result').length === n", arg=len(filtered)
    )
    assert shown_municipalities(tab) == [g["municipality"] for g in filtered]
    status = tab.page.locator("#search-status")
    assert status.get_attribute("aria-live") == "polite"
    assert "Alvesta" not in status.inner_text() and QUESTION in status.inner_text()


def test_nobody_answers_folds_the_near_misses_under_visa_fler(tab: Tab) -> None:
    tab.open()
    question = "xyzzy qwerty"  # words no contract has: nobody passes the cut-off
    assert tab.api(f"/api/search?q={quote(question)}&group=municipality&k=10") == []
    near = tab.api(f"/api/search?q={quote(question)}&group=municipality&k=10&all=true")
    search(tab, question)
    status = tab.page.locator("#search-status").inner_text()
    assert near and status.startswith("Ingen kommun nämner") and question in status
    assert tab.page.locator("#search-results .result").count() == 0
    folded = tab.page.locator("#search-results details.near-misses")
    assert "visa fler" in folded.locator("summary").inner_text()
    names = folded.locator(".near-miss").evaluate_all("els => els.map(e => e.dataset.municipality)")
    assert names == [g["municipality"] for g in near] and not any(g["answers"] for g in near)


def test_a_question_typed_without_diacritics_says_how_it_was_read(tab: Tab) -> None:
    tab.open()
    search(tab, "vem arbetar med atervinning")
    status = tab.page.locator("#search-status").inner_text()
    assert "(läst som ”vem arbetar med återvinning”)" in status, status
    search(tab, "vem arbetar med återvinning")
    assert "läst som" not in tab.page.locator("#search-status").inner_text()


def test_paragraph_view_and_filters(tab: Tab) -> None:
    tab.open()
    tab.page.locator("#filter-m").select_option("Avesta")
    tab.page.locator('input[name="group"][value="paragraph"]').check()
    search(tab, QUESTION)
    results = tab.page.locator("#search-results .result")
    assert results.count() > 0
    assert all("Avesta" in h for h in results.locator("h3").all_inner_texts())
    assert "m=Avesta" in tab.page.url and "group=paragraph" in tab.page.url  # the hash keeps the state


def test_search_text_is_never_injected_as_html(tab: Tab) -> None:
    tab.open()
    question = '<img src=x onerror="window.injected=1"> matsvinn'
    search(tab, question)
    assert tab.page.locator("#search-results img, #search-status img").count() == 0
    assert question in tab.page.locator("#search-status").inner_text()
    assert tab.page.evaluate("window.injected") is None
    snippet_tags = tab.page.locator(".snippet *").evaluate_all("els => [...new Set(els.map(e => e.tagName))]")
    assert set(snippet_tags) <= {"MARK"}


def test_bad_question_gets_the_servers_message(tab: Tab) -> None:
    tab.open()
    search_box = tab.page.locator("#q")
    search_box.fill("?!")
    search_box.press("Enter")
    status = tab.page.locator("#search-status.error")
    status.wait_for()
    assert status.inner_text().startswith("Fel:")
    tab.failed.clear()  # the 400 is the expected answer here


def test_evidence_link_opens_the_document_at_the_paragraph(tab: Tab) -> None:
    tab.open()
    search(tab, QUESTION)
    evidence = tab.page.locator("#search-results .evidence li:has(mark)").first
    snippet = words(evidence.locator(".snippet").inner_text())
    href = evidence.locator(".source a").get_attribute("href")
    assert href is not None
    evidence.locator(".source a").click()
    target = tab.page.locator(".para.target")
    target.wait_for()
    assert tab.page.url.endswith(href)
    doc_id = href.split("/")[2]
    document = tab.api(f"/api/documents/{doc_id}")
    pid = target.get_attribute("data-pid")
    (paragraph,) = [p for p in document["paragraphs"] if p["pid"] == pid]
    assert snippet in words(paragraph["text"])
    assert words(target.locator("p").inner_text()).startswith(words(paragraph["text"]))
    assert tab.page.locator(".para").count() == len(document["paragraphs"])
    assert target.locator("mark").count() > 0  # the question's words are marked where the link leads
    assert tab.page.evaluate("document.activeElement.dataset.pid") == pid  # focus moved to the paragraph
    box = target.bounding_box()
    assert box is not None and 0 <= box["y"] < 900  # scrolled into view
    tab.page.go_back()
    tab.page.locator("#view-search").wait_for()
    assert tab.page.locator("#q").input_value() == QUESTION


def test_unknown_document_says_so(tab: Tab) -> None:
    tab.open("#/dokument/no-such-document/1")
    status = tab.page.locator("#doc-status.error")
    status.wait_for()
    assert "Fel:" in status.inner_text()
    tab.failed.clear()


# --------------------------------------------------------------------------------------------- compare


def test_compare_two_municipalities(tab: Tab) -> None:
    names = sorted({d["municipality"] for d in tab.api("/api/municipalities")})[:2]
    tab.open("#/jamfor")
    page = tab.page
    page.get_by_label(names[0], exact=True).check()
    page.locator("#compare-button").click()
    assert (
        "minst två" in page.locator("#compare-status").inner_text()
        or "2–5" in page.locator("#compare-status").inner_text()
    )
    page.get_by_label(names[1], exact=True).check()
    page.locator("#compare-button").click()
    page.wait_for_selector("#compare-table")
    header = page.locator("#compare-table thead th").all_inner_texts()
    assert header[1:] == names
    expected = tab.api("/api/compare?" + "&".join(f"m={quote(n)}" for n in names))
    rows = page.locator("#compare-table tbody tr")
    assert rows.count() == len(expected["rows"])
    for i, row in enumerate(expected["rows"]):
        cells = rows.nth(i).locator("th, td").all_inner_texts()
        assert cells[0] == row["attribute"]
        assert cells[1:] == ["" if row[n] is None else str(row[n]) for n in names]


# --------------------------------------------------------------------------------------------- topics


def test_the_heatmap_is_the_api_matrix_and_a_cell_opens_its_marked_passages(tab: Tab) -> None:
    expected = tab.api("/api/themes?keep_empty=true")
    tab.open("#/teman")
    page = tab.page
    page.wait_for_selector("#themes-table")
    header = page.locator("#themes-table thead th").all_inner_texts()
    assert [h.strip() for h in header[1:]] == [c["label"] for c in expected["concepts"]]
    rows = page.locator("#themes-table tbody tr")
    assert rows.count() == len(expected["rows"]) > 0
    for i, row in enumerate(expected["rows"]):
        cells = rows.nth(i).locator("th, td").all_inner_texts()
        assert cells == [row["municipality"]] + [str(row["cells"][c["id"]]["passages"]) for c in expected["concepts"]]
    # a non-empty cell: its passages, each with the tagged words in <mark>, as the API lists them
    button = page.locator("#themes-table button.heat:not(.heat-0)").first
    town, concept = button.get_attribute("data-m"), button.get_attribute("data-concept")
    cell = tab.api(f"/api/themes/passages?m={quote(town or '')}&concept={quote(concept or '')}")
    button.click()
    page.wait_for_selector("#themes-passages li")
    assert button.get_attribute("aria-pressed") == "true"
    items = page.locator("#themes-passages li")
    assert items.count() == len(cell["passages"]) == int(button.get_attribute("data-passages") or 0)
    assert all(items.nth(i).locator("mark").count() >= 1 for i in range(items.count()))
    # under one top concept: the narrower concepts as columns, from the same API
    under = expected["concepts"][0]
    page.locator("#themes-under").select_option(under["id"])
    page.locator("#themes-caption", has_text="under").wait_for()
    narrower = tab.api(f"/api/themes?under={quote(under['id'])}&keep_empty=true")
    header = page.locator("#themes-table thead th").all_inner_texts()
    assert [h.strip() for h in header[1:]] == [c["label"] for c in narrower["concepts"]]


def test_keyboard_only_heatmap(tab: Tab) -> None:
    """One cell is in the Tab order; arrow keys move between cells, Enter opens one."""
    tab.open("#/teman")
    page = tab.page
    page.wait_for_selector("#themes-table")
    first = page.locator("#themes-table button.heat").first
    assert first.get_attribute("tabindex") == "0"
    assert page.locator("#themes-table button.heat[tabindex='0']").count() == 1
    first.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("[document.activeElement.dataset.m, document.activeElement.dataset.concept]")
    rows = tab.api("/api/themes?keep_empty=true")
    assert focused == [rows["rows"][1]["municipality"], rows["concepts"][1]["id"]]
    assert page.locator("#themes-table button.heat[tabindex='0']").count() == 1
    page.keyboard.press("Enter")
    page.wait_for_selector("#themes-passages h3")
    assert page.locator("#themes-passages h3").inner_text().startswith(f"{focused[0]} ×")


def test_every_heat_step_reads_at_aa_contrast(tab: Tab) -> None:
    tab.open("#/teman")
    tab.page.wait_for_selector("#themes-table")
    ratios = tab.page.evaluate(
        """() => {
          const rgb = s => s.match(/[\\d.]+/g).map(Number);
          const lum = ([r, g, b]) => { const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
                                       return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
          const out = {};
          for (const el of document.querySelectorAll('.heat-legend span.heat')) {
            const a = lum(rgb(getComputedStyle(el).color)), b = lum(rgb(getComputedStyle(el).backgroundColor));
            out[el.className] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
          }
          return out; }"""
    )
    assert len(ratios) == 6 and all(r >= 4.5 for r in ratios.values()), ratios


# --------------------------------------------------------------------------------------------- network


def test_network_draws_every_node(tab: Tab) -> None:
    net = tab.api("/api/network")
    tab.open("#/natverk")
    graph = tab.page.locator("#network-graph[data-nodes]")
    graph.wait_for()
    assert graph.get_attribute("data-nodes") == str(len(net["nodes"]))
    assert graph.get_attribute("data-edges") == str(len(net["edges"]))
    status = tab.page.locator("#network-status").inner_text()
    assert f"{len(net['nodes'])} noder" in status and f"{len(net['edges'])} kopplingar" in status
    assert graph.locator("canvas").count() > 0
    # sigma paints node labels on its 2D label canvas: wait until it holds ink
    tab.page.wait_for_function(
        """() => { const c = document.querySelector('#network-graph canvas.sigma-labels');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n > 100; }""",
        timeout=10_000,
    )
    # every type can be switched on; then every node is shown
    unchecked = tab.page.locator("#network-types input:not(:checked)")
    while unchecked.count():
        unchecked.first.check()
    assert tab.page.locator("#network-status").inner_text() == (
        f"Nätverk: {len(net['nodes'])} noder och {len(net['edges'])} kopplingar."
    )
    assert tab.page.locator("#network-table tbody tr").count() == len(net["edges"])


# --------------------------------------------------------------------------------------------- SPARQL


def test_sparql_example_runs_and_shows_its_rows(tab: Tab) -> None:
    examples = tab.api("/api/query")
    tab.open("#/sparql")
    page = tab.page
    assert page.locator("#sparql-example option[value]:not([value=''])").count() == len(examples)
    page.locator("#sparql-example").select_option("twins")
    (twins,) = [q for q in examples if q["name"] == "twins"]
    assert page.locator("#sparql-query").input_value() == twins["query"]
    page.locator("#sparql-button").click()
    page.wait_for_selector("#sparql-table")
    expected = tab.api("/api/query/twins")
    assert page.locator("#sparql-table thead th").all_inner_texts() == expected["head"]["vars"]
    body = page.locator("#sparql-table tbody tr")
    assert body.count() == len(expected["results"]["bindings"]) > 0
    for i, binding in enumerate(expected["results"]["bindings"]):
        assert body.nth(i).locator("td").all_inner_texts() == [binding[v]["value"] for v in expected["head"]["vars"]]


def test_sparql_errors_are_shown(tab: Tab) -> None:
    tab.open("#/sparql")
    page = tab.page
    page.locator("#sparql-query").fill("SELECT ?s WHERE { ?s ?p }")
    page.locator("#sparql-query").press("Control+Enter")
    page.locator("#sparql-status.error").wait_for()
    assert page.locator("#sparql-result table").count() == 0
    page.locator("#sparql-query").fill("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    page.locator("#sparql-button").click()
    page.wait_for_function("() => /Fel:/.test(document.querySelector('#sparql-status').textContent)")
    tab.failed.clear()


# --------------------------------------------------------------------------------------------- offline, keyboard, a11y


def test_page_stays_on_the_local_server(tab: Tab) -> None:
    names = sorted({d["municipality"] for d in tab.api("/api/municipalities")})
    tab.requests.clear()
    tab.open()
    search(tab, QUESTION)
    tab.page.locator("#search-results .source a").first.click()
    tab.page.locator(".para.target").wait_for()
    for route, ready in (
        ("#/jamfor?" + "&".join(f"m={quote(n)}" for n in names[:2]), "#compare-table"),
        ("#/natverk", "#network-graph[data-nodes] canvas"),
        ("#/sparql?exempel=twins", "#sparql-query"),
    ):
        tab.open(route)
        tab.page.wait_for_selector(ready)
    tab.page.locator("#sparql-button").click()
    tab.page.wait_for_selector("#sparql-table")
    assert tab.requests, "no requests recorded"
    outside = [
        u
        for u in tab.requests
        if urlsplit(u).scheme not in ("data", "blob", "about") and urlsplit(u).hostname != "127.0.0.1"
    ]
    assert outside == []
    assert tab.failed == []  # every script, style and vendored library was found
    assert any("/static/vendor/sigma/" in u for u in tab.requests)


def test_every_view_keeps_the_pages_own_csp(tab: Tab) -> None:
    """Issue 24: no inline style, no data: URL; every view opened, the network legend drawn."""
    names = sorted({d["municipality"] for d in tab.api("/api/municipalities")})
    for route, ready in (
        ("", "#q"),
        ("#/jamfor?" + "&".join(f"m={quote(n)}" for n in names[:2]), "#compare-table"),
        ("#/natverk", "#network-types .swatch"),
        ("#/sparql?exempel=twins", "#sparql-query"),
    ):
        tab.open(route)
        tab.page.wait_for_selector(ready)
        assert tab.violations() == [], (route, tab.violations())
        if ready.endswith(".swatch"):  # the legend's colours, set through the CSSOM, are drawn
            colour = tab.page.locator(ready).first.evaluate("s => getComputedStyle(s).backgroundColor")
            assert colour not in ("", "rgba(0, 0, 0, 0)"), colour
    assert tab.console == [], tab.console


def test_keyboard_only_search(tab: Tab) -> None:
    tab.open()
    page = tab.page
    assert page.evaluate("document.activeElement.id") == "q"  # the box has focus on arrival
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    page.wait_for_function("q => document.querySelector('#search-results')?.dataset.query === q", arg=QUESTION)
    assert "Alvesta" in shown_municipalities(tab)
    for _ in range(30):  # Tab through the controls to the first evidence link
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.source') !== null"):
            break
    else:
        pytest.fail("Tab never reached an evidence link")
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )
    assert outline[0] != "none" and outline[1] >= 2, outline  # visible focus
    page.keyboard.press("Enter")
    page.locator(".para.target").wait_for()
    assert page.evaluate("document.activeElement.classList.contains('target')")


def test_keyboard_only_compare(tab: Tab) -> None:
    tab.open("#/jamfor")
    page = tab.page
    page.locator("#compare-choices input").first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    for _ in range(20):
        if page.evaluate("document.activeElement.id") == "compare-button":
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached the compare button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#compare-table")
    assert page.locator("#compare-table thead th").count() == 3


def test_accessible_names_language_and_contrast(tab: Tab) -> None:
    tab.open("#/natverk")
    tab.page.wait_for_selector("#network-graph[data-nodes]")
    tab.open("#/jamfor")
    tab.open("#/sparql")
    tab.page.wait_for_selector("#sparql-example option[value='twins']", state="attached")
    tab.open()
    search(tab, QUESTION)
    assert tab.page.evaluate("document.documentElement.lang") == "sv"
    unnamed = tab.page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button')].filter(el => {
                 if (el.getAttribute('aria-label') || el.closest('label')) return false;
                 return !(el.id && document.querySelector(`label[for="${el.id}"]`)) && !el.textContent.trim();
               }).map(el => el.outerHTML)"""
    )
    assert unnamed == []
    assert (
        tab.page.locator("#search-status[aria-live], #compare-status[aria-live], #sparql-status[aria-live]").count()
        == 3
    )
    # WCAG AA: text colour against the nearest opaque background, for the page's kinds of text
    ratios = tab.page.evaluate(
        """() => {
          const rgb = s => s.match(/[\\d.]+/g).map(Number);
          const lum = ([r, g, b]) => { const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
                                       return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
          const bg = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
                                if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; };
          const out = {};
          for (const sel of ['body', 'h2', '.hint', '.en', 'nav a', 'nav a[aria-current] .en', 'button', 'mark', '.source a',
                             '.result .meta', '.status', 'label', '.tagline']) {
            const el = document.querySelector(sel); if (!el) { out[sel] = null; continue; }
            const a = lum(rgb(getComputedStyle(el).color)), b = lum(bg(el));
            out[sel] = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
          }
          return out; }"""
    )
    low = {sel: r for sel, r in ratios.items() if r is None or r < 4.5}
    assert low == {}, ratios


def test_screenshots(tab: Tab, tmp_path: Path) -> None:
    written = capture(tab, tmp_path)
    assert [p.name for p in written] == list(SCREENSHOTS)
    for png in written:
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, png


def test_warm_time_to_first_answer(browser: Browser, served: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Measured and reported, never asserted (speed figures belong in benchmarks): a fresh page on a warm
    server, from Enter to the rendered answer, as the page measures it and as the driver sees it."""
    questions = [
        QUESTION,
        "laddinfrastruktur för elbilar",
        "klimatneutral organisation",
        "cirkulär upphandling",
        "cykel",
    ]
    warm = new_tab(browser, served)
    for q in questions:  # the server has answered each question shape once: "warm"
        warm.api(f"/api/search?q={quote(q + ' idag')}&group=municipality&k=10")
    warm.page.close()
    in_page, driver = [], []
    for q in questions:
        t = new_tab(browser, served)
        t.open()
        started = time.perf_counter()
        search(t, q)
        driver.append((time.perf_counter() - started) * 1000)
        in_page.append(t.page.evaluate("performance.getEntriesByName('kg-search').at(-1).duration"))
        assert t.page.locator("#search-status").inner_text()  # an answer (or "no hits") was shown
        t.page.close()
    with capsys.disabled():
        print(
            f"\nbrowser: warm time to first answer over {len(questions)} fresh pages: median "
            f"{statistics.median(in_page):.0f} ms in the page (max {max(in_page):.0f}), "
            f"{statistics.median(driver):.0f} ms seen by the driver (max {max(driver):.0f}); {[round(x) for x in in_page]}"
        )


# --------------------------------------------------------------------------------------------- script


def main(argv: list[str] | None = None) -> int:
    """Start `klimatgraf serve` on a build, save the four screenshots, stop the server."""
    parser = argparse.ArgumentParser(description="Save the web page screenshots shown in the README.")
    parser.add_argument("--build-dir", default="build", type=Path)
    parser.add_argument("--out", default="docs", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kg-shots-") as tmp:
        server = start_server(args.build_dir.resolve(), Path(tmp) / "serve.log")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
                tab = new_tab(browser, server.url)
                for png in capture(tab, args.out):
                    print(f"wrote {png}", file=sys.stderr)
                browser.close()
        finally:
            server.stop()
    if tab.errors:
        print(f"script errors in the page: {tab.errors}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
