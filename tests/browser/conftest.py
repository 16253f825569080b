"""Playwright against Debian's chromium (Playwright cannot download its own browser here)."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is not installed: apt-get install chromium")
    # Playwright's sync API runs an event loop; Django must allow ORM calls from the test thread.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


# Chromium logs a Content-Security-Policy violation to the console; the event is reported too,
# so that a violation no console message names (a style attribute, say) is never missed.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
                + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


class ConsoleErrors(list):
    """Console errors, uncaught exceptions and CSP violations of every page a test opens.

    A test that expects one (a page answering 429, say) names it: ``console_errors.allow(text)``.
    """

    def __init__(self):
        super().__init__()
        self.allowed: list[str] = []

    def allow(self, text: str) -> None:
        self.allowed.append(text)

    def unexpected(self) -> list[str]:
        return [e for e in self if not any(text in e for text in self.allowed)]


@pytest.fixture
def console_errors():
    return ConsoleErrors()


@pytest.fixture
def page(browser, live_server, console_errors):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1400, "height": 900}
    )
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on(
        "console",
        lambda m: m.type == "error" and console_errors.append(f"{page.url}: {m.text}"),
    )
    page.on("pageerror", lambda error: console_errors.append(f"{page.url}: {error}"))
    page.set_default_timeout(15_000)
    yield page
    context.close()
    # Every browser test fails on a console error or a blocked script, style or request.
    assert not console_errors.unexpected(), "\n".join(console_errors.unexpected())


@pytest.fixture
def log_in(page):
    def _log_in(username, password="pw"):
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("#login-submit")
        page.wait_for_url("**/clients/")
        return page

    return _log_in
