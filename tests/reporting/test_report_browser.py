"""The reference app's HTML summary in a real browser (headless Chromium): what a committee member sees.

Debian's ``chromium`` package drives it (``.ci/run`` installs it when missing), through Playwright with
``executable_path``: no browser is downloaded. The page must fit a 1,400 px window, draw a node per bucket
and per key, resolve every table-of-contents link and fetch nothing. One screenshot is kept for CI's
artefacts as build/report-screenshot.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from omics_secure.compliance.datasheet import build_datasheet
from omics_secure.inputs.assembly import read_assembly
from omics_secure.reporting.summary import render_html

pytestmark = pytest.mark.slow  # starts a browser process

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT_WIDTH = 1400
# --disable-background-networking and friends: on a closed network Chromium's own background connections
# (component updates, sync, QUIC probes) are refused and slow or break the start.
LAUNCH_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "report-screenshot.png"


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs Debian's chromium package; check its log")
    pytest.skip(f"{CHROMIUM} is missing: run 'apt-get install -y --no-install-recommends chromium' "
                "(.ci/run does this in CI)")


@pytest.fixture(scope="module")
def page_facts(reference_app, tmp_path_factory):
    _require_chromium()
    from playwright.sync_api import sync_playwright

    report = tmp_path_factory.mktemp("browser") / "summary.html"
    report.write_text(render_html(build_datasheet(reference_app.assembly_dir)), encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=LAUNCH_FLAGS, viewport={"width": VIEWPORT_WIDTH, "height": 1000})
        try:
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.goto(report.as_uri(), wait_until="load")
            facts = page.evaluate("""() => {
                const svg = document.querySelector('figure svg.diagram');
                const links = [...document.querySelectorAll('nav.toc a')].map(a => a.getAttribute('href'));
                return {
                    scrollWidth: document.documentElement.scrollWidth,
                    innerWidth: window.innerWidth,
                    svgWidth: svg ? svg.getBoundingClientRect().width : 0,
                    kinds: svg ? [...svg.querySelectorAll('g.node')].map(n => n.dataset.kind) : [],
                    links: links,
                    unresolved: links.filter(h => !h.startsWith('#') || !document.getElementById(h.slice(1))),
                };
            }""")
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=False)
        finally:
            context.close()
    facts["requests"] = requests
    facts["report"] = report.as_uri()
    return facts


def test_the_page_fits_a_1400_px_window(page_facts):
    assert page_facts["innerWidth"] == VIEWPORT_WIDTH
    assert page_facts["scrollWidth"] <= VIEWPORT_WIDTH
    assert 0 < page_facts["svgWidth"] <= VIEWPORT_WIDTH


def test_the_diagram_draws_a_node_per_bucket_and_per_key(page_facts, reference_app):
    stacks = read_assembly(reference_app.assembly_dir)
    count = {kind: sum(1 for s in stacks for body in s.resources.values() if body["Type"] == kind)
             for kind in ("AWS::S3::Bucket", "AWS::KMS::Key")}
    assert count["AWS::S3::Bucket"] >= 5 and count["AWS::KMS::Key"] >= 4
    assert page_facts["kinds"].count("bucket") == count["AWS::S3::Bucket"]
    assert page_facts["kinds"].count("key") == count["AWS::KMS::Key"]


def test_every_contents_link_resolves(page_facts):
    assert len(page_facts["links"]) >= 10
    assert page_facts["unresolved"] == []


def test_opening_the_page_fetches_nothing_but_the_page(page_facts):
    assert page_facts["requests"] == [page_facts["report"]]


def test_a_screenshot_is_kept_for_ci(page_facts):
    assert SCREENSHOT.stat().st_size > 10_000
