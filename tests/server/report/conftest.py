"""Fixtures of the report tests: a headless Chromium (Debian's, driven by Playwright; never a downloaded browser)
and a folder for the screenshots the tests save."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("PYKYVERNO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium for one test module (fails, never skips, when the browser is missing: .ci/run installs
    it). Not for the session: Playwright's sync API keeps an asyncio loop running in the main thread while it is
    open, and other tests start their own loops there."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `apt-get install -y chromium` (as .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $PYKYVERNO_ARTIFACTS, or a temporary folder (printed by the tests that write it)."""
    configured = os.environ.get("PYKYVERNO_ARTIFACTS")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("report-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
