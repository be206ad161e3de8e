"""The browser tier's helpers: the system's Chromium (the distribution's package, not a Playwright
download) driven by Playwright against the stack's API server, logged in through Airflow's own login
form as a user is, with screenshots under ``.local/screenshots`` to look at afterwards.

Playwright is imported inside the functions, so that this module (and the test module importing it)
loads where the package is missing and the tests can say why they skip.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tests.e2e.stack import PLUGIN_FILE, PROJECT_ROOT, USERNAME, Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Frame, Page, Response, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT_ROOT / ".local" / "screenshots"
REQUIRED = "NBA_REQUIRE_BROWSER"  # "1" on CI: a missing browser fails the tier instead of skipping it
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}
TIMEOUT_MS = 60_000  # generous: the API server shares the machine with a scheduler, a worker and Chromium
ColorScheme = Literal["light", "dark"]


class BrowserUnavailable(RuntimeError):
    """Chromium or Playwright is missing where the browser tests are required."""


def unavailable() -> str | None:
    """Why the browser tests cannot run here, or None when they can.

    :raises BrowserUnavailable: instead of returning a reason when ``NBA_REQUIRE_BROWSER=1``.
    """
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (uv sync)")
    if not missing:
        return None
    reason = f"the browser tests need {' and '.join(missing)}"
    if os.environ.get(REQUIRED) == "1":
        raise BrowserUnavailable(f"{reason}; {REQUIRED}=1 says they must run here")
    return reason


@contextmanager
def launch() -> Iterator[Browser]:
    """Headless system Chromium (``--no-sandbox``: CI runs as root), closed afterwards."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Open Airflow's home anonymously, which sends the browser to the login form; sign in there and
    land back on the home page."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/")
    expect(page).to_have_url(re.compile(r"/auth/login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()


@contextmanager
def logged_in(browser: Browser, stack: Stack, color_scheme: ColorScheme = "light",
              viewport: ViewportSize | None = None) -> Iterator[Page]:
    """A page of a new context (its own cookies, the given ``prefers-color-scheme``) on Airflow's home,
    signed in as the stack's user through the login form."""
    context = browser.new_context(color_scheme=color_scheme, viewport=viewport or VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        log_in(page, stack.api_url, USERNAME, stack.password)
        yield page
    finally:
        context.close()


def failed_requests(page: Page) -> list[str]:
    """A list that fills with every request of the page to Airflow's API (``/api/``, ``/ui/``) or to the
    plugin (``/nba/``) answered with a 4xx or 5xx: Airflow draws an empty canvas on a 500 of the
    structure request and shows no message, so the page's own requests are where errors show."""
    failed: list[str] = []

    def record(response: Response) -> None:
        if response.status >= 400 and re.search(r"//[^/]+/(api|ui|nba)/", response.url):
            failed.append(f"{response.status} {response.url}")

    page.on("response", record)
    return failed


def plugin_view(page: Page, stack: Stack) -> Frame:
    """Open the nav entry the plugin declares (its first external view) from the Browse menu, as a
    user does; the frame Airflow shows it in (the same object across the frame's navigations). A skip
    when the plugin file was absent when the stack started."""
    import pytest

    if not stack.plugin_loaded:
        pytest.skip(f"{PLUGIN_FILE.relative_to(PROJECT_ROOT)} was absent when the stack started: no plugin pages")
    from nba_pipeline_plugin import NbaPipelinePlugin
    from playwright.sync_api import expect

    view = NbaPipelinePlugin.external_views[0]
    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name=view["name"]).click()
    expect(page).to_have_url(re.compile(f"/plugin/{re.escape(view['url_route'])}"))
    frame = page.locator(f'iframe[title="{view["name"]}"]').element_handle().content_frame()
    assert frame is not None, f"no frame for {view['name']!r} on {page.url}"
    frame.wait_for_load_state()
    return frame


def background_luminance(frame: Frame) -> float | None:
    """The relative luminance (WCAG, 0 black to 1 white) of the framed page's computed body
    background; None when the background is transparent (Airflow's own page would show through)."""
    css = frame.locator("body").evaluate("body => getComputedStyle(body).backgroundColor")
    channels = [float(value) for value in re.findall(r"[\d.]+", css)]
    if len(channels) < 3 or (len(channels) == 4 and channels[3] == 0):
        return None

    def linear(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(value) for value in channels[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def screenshot(page: Page, name: str) -> Path:
    """The visible page (with its frames) as ``.local/screenshots/<name>.png``, replaced each run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def wait_for_nodes(page: Page, count: int, failed: list[str]) -> set[str]:
    """The ids of the nodes React Flow has drawn on the Graph view's canvas, once there are ``count``
    at least; an assertion error with the failed requests when they do not appear."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    nodes = page.locator(".react-flow__node")
    try:
        page.wait_for_function("n => document.querySelectorAll('.react-flow__node').length >= n", arg=count)
    except PlaywrightTimeout:
        drawn = nodes.count()
        raise AssertionError(f"{drawn} of {count} nodes drawn on {page.url}; failed requests: {failed}") from None
    return set(nodes.evaluate_all("nodes => nodes.map(n => n.dataset.id)"))


def table_cells(frame: Frame, column: int) -> list[str]:
    """The first line of cell ``column`` (from 0) of every body row of the framed page's tables."""
    script = "rows => rows.map(r => r.cells[%d] ? r.cells[%d].innerText.split('\\n')[0].trim() : '')"
    return list(frame.locator("main table tbody tr").evaluate_all(script % (column, column)))
