"""Screenshot the main pages in both languages for a look as a user would (developer tool).

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 --user kam1 --out var/shots

Needs a running server with the demo company and Debian's chromium.
"""

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--user", default="kam1")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--out", default="var/shots")
    parser.add_argument(
        "--pages",
        nargs="*",
        default=[
            "/clients/",
            "{client}",
            "{client}contacts/",
            "{client}competitors/",
            "{client}tenders/",
            "{client}purchases/",
            "{client}history/",
            "{client}edit/",
            "/products/",
            "/imports/",
            "/imports/new/",
            "/accounts/tokens/",
        ],
    )
    options = parser.parse_args()
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900}, base_url=options.base)
        page.goto("/accounts/login/")
        page.fill("#id_username", options.user)
        page.fill("#id_password", options.password)
        page.click("#login-submit")
        page.wait_for_url("**/clients/")
        page.goto("/clients/?key=yes&sort=-revenue")
        client = page.locator("#client-table tbody a").first.get_attribute("href")
        for language in ("en", "ru"):
            page.goto("/clients/")
            page.click(f"button[name=language][value={language}]")
            page.wait_for_load_state()
            for path in options.pages:
                url = path.format(client=client)
                page.goto(url)
                page.wait_for_timeout(800)  # charts animate in
                name = re.sub(r"[^a-z0-9]+", "-", url.strip("/")) or "home"
                page.screenshot(path=str(out / f"{language}-{name}.png"), full_page=True)
                print(out / f"{language}-{name}.png")
        browser.close()


if __name__ == "__main__":
    main()
