"""Every wide table fits a 1,366 × 768 screen in both languages, on the demo company: the page
never scrolls sideways (a wide table scrolls inside its card), the first column and the columns
a template marks ``data-key-col`` are in view without scrolling, and no header breaks a word."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from kam.clients.models import Client
from kam.core.models import Role, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What a user would see wrong, as sentences; empty when the page fits.
PROBLEMS = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth)
    problems.push(`the page scrolls sideways by ${doc.scrollWidth - doc.clientWidth}px`);
  for (const table of document.querySelectorAll("main table")) {
    const head = table.tHead && table.tHead.rows[0];
    if (!head || !table.offsetWidth) continue;
    const limit = Math.min(doc.clientWidth, table.parentElement.getBoundingClientRect().right);
    Array.from(head.cells).forEach((th, index) => {
      const name = th.innerText.trim() || `column ${index + 1}`;
      const box = th.getBoundingClientRect();
      if ((index === 0 || th.hasAttribute("data-key-col")) && box.right > limit + 1)
        problems.push(`key column "${name}" ends at ${Math.round(box.right)}px, off screen`);
      const hidden = th.querySelector(".visually-hidden");
      if (hidden && hidden.innerText.trim() === th.innerText.trim()) return;  // for screen readers
      const style = getComputedStyle(th);
      const room = th.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const probe = document.createElement("span");
      probe.style.whiteSpace = "nowrap";
      probe.style.position = "absolute";
      probe.style.visibility = "hidden";
      th.appendChild(probe);
      for (const word of th.innerText.split(/\\s+/).filter(Boolean)) {
        probe.textContent = word;
        if (probe.getBoundingClientRect().width > room + 1)
          problems.push(`header "${name}" breaks the word "${word}"`);
      }
      probe.remove();
    });
  }
  return problems;
}"""


def wide_pages() -> list[str]:
    kam = User.objects.filter(role=Role.KAM).order_by("username").first()
    client = Client.objects.filter(is_key=True).order_by("pk").first()
    return [
        reverse("clients:list"),
        reverse("keyprofile:list"),
        reverse("portfolio:mine"),
        reverse("portfolio:load"),
        reverse("portfolio:kam", args=[kam.pk]),
        reverse("qualification:log"),
        reverse("insights:overview"),
        reverse("products:list"),
        reverse("imports:list"),
        reverse("clients:purchases", args=[client.pk]),
        reverse("clients:history", args=[client.pk]),
        reverse("potential:tab", args=[client.pk]),
    ]


def test_wide_tables_fit_1366_in_both_languages(browser, live_server, console_errors):
    call_command("demo", verbosity=0)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.on("pageerror", lambda error: console_errors.append(f"{page.url}: {error}"))
    page.goto("/accounts/login/")
    page.fill("#id_username", "director")
    page.fill("#id_password", "demo")
    page.click("#login-submit")
    page.wait_for_url("**/clients/")
    found = []
    for language in ("en", "ru"):
        page.click(f"button[name=language][value={language}]")
        page.wait_for_load_state()
        for url in wide_pages():
            page.goto(url)
            page.wait_for_load_state("load")
            found += [f"{language} {url}: {problem}" for problem in page.evaluate(PROBLEMS)]
    context.close()
    assert not found, "\n".join(found)
    assert not console_errors.unexpected(), "\n".join(console_errors.unexpected())
