"""The report as a reader sees it: Debian's headless Chromium opens the files, follows links, screenshots.

No browser-driving package is needed: `chromium --headless --dump-dom` gives the DOM after the
page has loaded, `--screenshot` the pixels. The test starts from index.html, reads the link to a
document, from there the link drawn on a table's box, and checks the table page Chromium loaded
holds every published cell and shows the page image under the red box.
Set TEIAN_SCREENSHOTS=<dir> to keep the screenshots for a look.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from report import build_report
from tests.fixtures.make_samples import sample_budgets
from tests.test_report import run_sample_catalog

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def dump_dom(profile: Path, url: str) -> str:
    return chromium(profile, "--dump-dom", url).stdout


def screenshot(profile: Path, url: str, png: Path, size: str) -> Image.Image:
    chromium(profile, f"--screenshot={png}", f"--window-size={size}", url)
    return Image.open(png).convert("RGB")


def follow(dom: str, page_url: str, pattern: str) -> str:
    """The absolute file:// URL of the first href in `dom` matching `pattern`."""
    match = re.search(rf'href="({pattern})"', dom)
    assert match, f"no link matching {pattern} in {page_url}"
    return page_url.rsplit("/", 1)[0] + "/" + match.group(1)


@pytest.fixture(scope="module")
def sample_data(tmp_path_factory: pytest.TempPathFactory, prefect_harness) -> Path:
    return run_sample_catalog(tmp_path_factory)


@pytest.fixture(scope="module")
def report_index(sample_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = build_report(sample_data, tmp_path_factory.mktemp("browser") / "report")
    return result.index


def test_follow_a_table_link_and_see_its_cells(
    sample_data: Path, report_index: Path, tmp_path: Path
) -> None:
    profile = tmp_path / "profile"
    index_url = report_index.as_uri()
    index = dump_dom(profile, index_url)
    assert "令和8年度 富士見市一般会計予算書（見本）" in index

    doc_url = follow(index, index_url, r"sample-budget-r8/index\.html")
    doc = dump_dom(profile, doc_url)
    # the link is the one drawn on the table's box over the page image, not only the list's
    assert re.search(r'<svg[^>]*viewBox="0 0 842\.00 595\.00"', doc)  # a spread's page
    # the densest table short enough for its page image to show beside its grid (a 節 and 説明
    # half of a spread): the page image under its box is not blank
    processed = sample_data / "processed"
    short = {
        t["table_id"]
        for t in pq.read_table(processed / "tables" / "sample-budget-r8.parquet").to_pylist()
        if t["n_rows"] <= 12
    }
    all_cells = pq.read_table(processed / "cells" / "sample-budget-r8.parquet").to_pylist()
    lengths: dict[str, int] = {}
    for c in all_cells:
        if c["table_id"] in short:
            lengths[c["table_id"]] = lengths.get(c["table_id"], 0) + len(c["text"] or "")
    table_id = max(lengths, key=lengths.__getitem__)
    table_url = follow(doc, doc_url, rf"tables/{re.escape(table_id)}\.html")
    table = dump_dom(profile, table_url)
    cells = [c for c in all_cells if c["table_id"] == table_id]
    missing = [c["text"] for c in cells if f">{c['text']}<" not in table]
    assert cells and not missing, f"cells not on {table_url}: {missing[:5]}"
    amounts = {c["value_yen"] for c in cells if c["value_yen"]}
    assert amounts and all(f"{yen:,}" in table for yen in amounts)  # in yen, as published
    total = sample_budgets()[1].revenue[0].amount * 1000  # 市税 本年度, on the 総括's page
    assert f"{total:,}" in dump_dom(profile, follow(doc, doc_url, r"tables/[^\"]+\.html"))

    shot = screenshot(profile, table_url, tmp_path / "table.png", "1400,3000")
    pixels = np.asarray(shot).astype(int)
    red = (pixels[..., 0] > 190) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)
    ys, xs = np.nonzero(red)
    assert xs.size > 500, "no red table box drawn on the page image"
    # inside the red frame the page image shows the printed table: dark text and rules
    inside = pixels[ys.min() + 25 : ys.max() - 5, xs.min() + 5 : xs.max() - 5].mean(axis=2)
    # (a budget's ruled half-page is mostly white: 7-point text in tall cells; a blank image
    # or a box beside the table gives no dark pixels at all)
    assert (inside < 100).mean() > 0.003, (
        "the page image under the box is blank: image not loaded or box misplaced"
    )
    keep = os.environ.get("TEIAN_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "table.png", Path(keep) / "table.png")


def test_teian_document_lists_items_with_links_to_their_pages(
    report_index: Path, tmp_path: Path
) -> None:
    profile = tmp_path / "profile"
    doc_url = (report_index.parent / "sample-teian-r7" / "index.html").as_uri()
    doc = dump_dom(profile, doc_url)
    item = re.search(r'<tr id="item-2">(.*?)</tr>', doc, re.S)
    assert item, "item 2 not listed"
    row = item.group(1)
    for expected in (
        "首都直下地震等に備えた防災対策の推進",
        '<span class="name">内閣府</span><span class="name">総務省</span><span class="name">国土交通省</span>',
        '<span class="name">総務局</span><span class="name">都市整備局</span>',
        "disaster",
    ):
        assert expected in row
    first_page = re.search(r'href="#(p-\d+)"', row).group(1)
    assert f'id="{first_page}"' in doc
    shot = screenshot(profile, doc_url, tmp_path / "doc.png", "1280,1600")
    assert np.asarray(shot).std() > 10  # something is drawn, not an empty page
    keep = os.environ.get("TEIAN_SCREENSHOTS")
    if keep:
        shutil.copy(tmp_path / "doc.png", Path(keep) / "doc.png")
