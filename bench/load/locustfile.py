"""A working day at KAM for Locust: KAMs browse and edit, assistants import, a director reads the
analytics, scripts call the API. Run through ``bench/load.py`` (which starts the server the way
``make run`` does, on a 10× demo company, and prints the figures), or directly:

    .venv/bin/locust -f bench/load/locustfile.py --host http://127.0.0.1:8000

Every demo user's password is ``demo``. A save that meets another user's edit is answered with
the conflict page (409): that is the application working, counted as a success.
"""

import itertools
import os
import random
import re
from html.parser import HTMLParser

import gevent
from locust import HttpUser, between, task

PASSWORD = os.environ.get("KAM_LOAD_PASSWORD", "demo")
CLIENT_LINK = re.compile(r'href="/clients/(\d+)/"')
CONTACT_EDIT = re.compile(r'href="/clients/contacts/(\d+)/edit/"')
IMPORT_JOB = re.compile(r"/imports/(\d+)/")
ACCEPTED = {200, 302, 409}
_kams = itertools.cycle(["kam1", "kam2", "kam3"])
_assistants = itertools.cycle(["assistant1", "assistant2", "assistant3"])
_rows = itertools.count()
_signed_in = 0
THINK = tuple(float(x) for x in os.environ.get("KAM_LOAD_THINK", "1,4").split(","))


def signed_in(user) -> None:
    """Once every user has signed in, start the statistics afresh and run KAM_LOAD_SECONDS more.

    The ramp-up is a storm of logins (a password hash each, ~0.5 s of CPU): not a working day.
    Locust's own --reset-stats fires when the last user is *started*, before its login ends.
    """
    global _signed_in
    _signed_in += 1
    runner = user.environment.runner
    if _signed_in == runner.target_user_count:
        user.environment.stats.reset_all()
        seconds = float(os.environ.get("KAM_LOAD_SECONDS", 180))
        gevent.spawn_later(seconds, runner.quit)


class FormReader(HTMLParser):
    """The fields of the page's form whose action matches, with the values the page shows."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.fields = action, False, {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action", self.action) in (self.action, "", None)
        elif not self.inside:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields[a["name"]] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                self.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
            self.fields.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.fields[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(html: str, action: str) -> dict:
    reader = FormReader(action)
    reader.feed(html)
    return reader.fields


class Person(HttpUser):
    abstract = True
    # Seconds a person reads between two clicks: "low,high" (KAM_LOAD_THINK, default 1,4).
    wait_time = between(*THINK)
    username = ""

    def on_start(self):
        self.client.get("/accounts/login/", name="login page")
        token = self.client.cookies.get("csrftoken", "")
        self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="login",
        )
        page = self.client.get("/clients/", name="/clients/")
        self.clients = [int(pk) for pk in CLIENT_LINK.findall(page.text)] or [0]
        signed_in(self)

    def save(self, url: str, name: str, change) -> None:
        """Open a form, change it like a person would, and send it back."""
        page = self.client.get(url, name=f"{name} (form)")
        if page.status_code != 200:
            return
        fields = form_fields(page.text, url)
        change(fields)
        fields["csrfmiddlewaretoken"] = self.client.cookies.get("csrftoken", "")
        with self.client.post(url, fields, name=name, catch_response=True) as answer:
            if answer.status_code in ACCEPTED:
                answer.success()
            else:
                answer.failure(f"{answer.status_code}")


class Kam(Person):
    """Portfolio, client pages and their tabs, and edits of clients and contacts."""

    weight = 30

    def on_start(self):
        self.username = next(_kams)
        super().on_start()

    @task(4)
    def portfolio(self):
        self.client.get("/portfolio/", name="/portfolio/")

    @task(4)
    def client_list(self):
        self.client.get(f"/clients/?page={random.randint(1, 3)}", name="/clients/?page")

    @task(8)
    def client_page(self):
        pk = random.choice(self.clients)
        self.client.get(f"/clients/{pk}/", name="/clients/[id]/")
        tab = random.choice(["contacts", "purchases", "competitors", "tenders", "history"])
        self.client.get(f"/clients/{pk}/{tab}/", name=f"/clients/[id]/{tab}/")

    @task(2)
    def edit_client(self):
        pk = random.choice(self.clients)

        def note(fields):
            fields["description"] = f"{fields.get('description', '')[:200]} ·".strip()

        self.save(f"/clients/{pk}/edit/", "/clients/[id]/edit/", note)

    @task(2)
    def edit_contact(self):
        page = self.client.get(
            f"/clients/{random.choice(self.clients)}/contacts/", name="/clients/[id]/contacts/"
        )
        contacts = CONTACT_EDIT.findall(page.text)
        if not contacts:
            return

        def touch(fields):
            fields["notes"] = f"{fields.get('notes', '')[:200]} ·".strip()

        url = f"/clients/contacts/{random.choice(contacts)}/edit/"
        self.save(url, "/clients/contacts/[id]/edit/", touch)

    @task(1)
    def key_clients(self):
        self.client.get("/key-clients/", name="/key-clients/")


class Assistant(Person):
    """Reads the clients of their KAMs and imports contacts."""

    weight = 5

    def on_start(self):
        self.username = next(_assistants)
        super().on_start()
        page = self.client.get(f"/clients/{self.clients[0]}/", name="/clients/[id]/")
        code = re.search(r"<dd[^>]*>([A-Z]-?\d[\w-]*)</dd>", page.text)
        self.code = code.group(1) if code else ""

    @task(5)
    def client_page(self):
        self.client.get(f"/clients/{random.choice(self.clients)}/", name="/clients/[id]/")

    @task(1)
    def import_contacts(self):
        if not self.code:
            return
        row = next(_rows)
        body = f"Код клиента;ФИО;Должность\n{self.code};Нагрузочный Тест {row};Менеджер\n"
        token = self.client.cookies.get("csrftoken", "")
        answer = self.client.post(
            "/imports/new/",
            {"kind": "contacts", "csrfmiddlewaretoken": token},
            files={"file": (f"contacts-{row}.csv", body.encode(), "text/csv")},
            name="/imports/new/",
        )
        job = IMPORT_JOB.search(answer.url or "")
        if job:
            self.client.post(
                f"/imports/{job.group(1)}/confirm/",
                {"csrfmiddlewaretoken": token},
                name="/imports/[id]/confirm/",
            )
            self.client.get(f"/imports/{job.group(1)}/progress/", name="/imports/[id]/progress/")


class Director(Person):
    """The cockpit's pages: analytics, key clients, the KAMs' load."""

    weight = 2
    username = "director"

    @task(3)
    def analytics(self):
        self.client.get("/analytics/", name="/analytics/")

    @task(2)
    def key_clients(self):
        self.client.get("/key-clients/", name="/key-clients/")

    @task(2)
    def load(self):
        self.client.get("/portfolio/load/", name="/portfolio/load/")

    @task(1)
    def imports(self):
        self.client.get("/imports/", name="/imports/")


class Script(HttpUser):
    """An integration reading the API with a bearer token (KAM_LOAD_TOKEN)."""

    weight = 5
    wait_time = between(0.5, 2)

    def on_start(self):
        self.client.headers["Authorization"] = f"Bearer {os.environ.get('KAM_LOAD_TOKEN', '')}"
        signed_in(self)

    @task(3)
    def clients(self):
        self.client.get(
            f"/api/clients?limit=100&offset={random.randint(0, 5) * 100}", name="/api/clients"
        )

    @task(2)
    def contacts(self):
        self.client.get("/api/contacts?limit=100", name="/api/contacts")

    @task(2)
    def sales_lines(self):
        self.client.get(
            f"/api/sales-lines?limit=100&offset={random.randint(0, 50) * 100}",
            name="/api/sales-lines",
        )
