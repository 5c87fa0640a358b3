"""The report in a real browser: headless Chromium driven by Selenium.

Renders the report of a real dataset, then checks that the page logs no console
error, that every chart is drawn, that the findings filter changes the visible
rows, and saves a screenshot. ``SFTPREP_UPDATE_SCREENSHOT=1`` copies it to
``docs/img/report.png`` (the picture in the docs comes from this test).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REPO = Path(__file__).resolve().parents[2]
DATASET = REPO.parent / "shared" / "data" / "real" / "codealpaca__code_alpaca_2k.json"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1800",
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="headless Chromium not installed: run `make browser-deps` "
        "(apt-get install chromium chromium-driver)",
    ),
]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not DATASET.exists():
        pytest.skip(f"{DATASET} is missing")
    from sftprep.report.collect import build_report_data

    out = tmp_path_factory.mktemp("report") / "report.html"
    build_report_data(DATASET, max_tokens=256).save(out)
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


def _visible_rows(browser: Any) -> list[Any]:
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#findings-table tbody tr'))"
        ".filter(r => !r.hidden && r.getClientRects().length > 0)"
        ".map(r => [r.dataset.rule, r.dataset.severity]);"
    )


def test_report_renders_without_errors(report_file: Path, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select

    browser.get(report_file.as_uri())
    assert browser.title.startswith("sftprep report")

    # every chart drawn: a laid-out <svg> with marks that have a non-empty box
    charts = browser.execute_script(
        "return Array.from(document.querySelectorAll('svg.sftprep-chart')).map(svg => {"
        "  const box = svg.getBoundingClientRect();"
        "  const marks = Array.from(svg.querySelectorAll('rect, path, circle'));"
        "  const drawn = marks.filter(m => {"
        "    const b = m.getBBox(); return b.width + b.height > 0; });"
        "  return [svg.dataset.chart, box.width, box.height, drawn.length]; });"
    )
    assert len(charts) >= 5, charts
    for name, width, height, drawn in charts:
        assert width > 100 and height > 100 and drawn > 0, (name, width, height, drawn)

    # the findings filter changes the visible rows
    every = _visible_rows(browser)
    assert every, "the report should list flagged records"
    rule_select = Select(browser.find_element(By.ID, "filter-rule"))
    rules = [o.get_attribute("value") for o in rule_select.options if o.get_attribute("value")]
    changed = False
    for rule in rules:
        rule_select.select_by_value(rule)
        shown = _visible_rows(browser)
        assert shown and all(r == rule for r, _ in shown)
        changed = changed or len(shown) < len(every)
    rule_select.select_by_value("")
    assert len(_visible_rows(browser)) == len(every)
    search = browser.find_element(By.ID, "filter-text")
    search.send_keys("no row contains this text")
    assert _visible_rows(browser) == []
    assert changed or len(rules) == 1
    count = browser.find_element(By.ID, "filter-count").text
    assert count.startswith("0 of ")

    # no console errors (a file:// page has no favicon request to fail)
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []

    # back to the top, and let the page paint before the picture is taken
    browser.execute_async_script(
        "const done = arguments[arguments.length - 1]; window.scrollTo(0, 0);"
        "requestAnimationFrame(() => requestAnimationFrame(done));"
    )
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("SFTPREP_UPDATE_SCREENSHOT"):
        target = REPO / "docs" / "img" / "report.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)
