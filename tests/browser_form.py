"""What a browser would submit from a page's form, for tests that edit as a user does.

A test that posts hand-made data proves what the server does with that data; a user's browser
posts what the page rendered — the selected options, the hidden fields — and that is where a
value the editor cannot see gets lost. :func:`form_data` reads a page's edit form the way a
browser does; :func:`load` fetches it, ready to change and post.
"""

from html.parser import HTMLParser

Data = dict[str, list[str]]
"""Field name → the values sent (the test client posts each value of a list)."""


class _Form:
    def __init__(self, attrs):
        self.attrs = attrs
        self.fields: list[tuple[str, str]] = []
        self.selects: list[dict] = []


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self.form: _Form | None = None
        self.select: dict | None = None
        self.option: dict | None = None
        self.textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.form = _Form(a)
            self.forms.append(self.form)
        if self.form is None:
            return
        if tag == "input" and a.get("name") and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.form.fields.append((a["name"], a.get("value", "on")))
                return
            self.form.fields.append((a["name"], a.get("value", "")))
        elif tag == "select" and "disabled" not in a:
            self.select = {"name": a.get("name"), "multiple": "multiple" in a, "options": []}
            self.form.selects.append(self.select)
        elif tag == "option" and self.select is not None:
            self.option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
            self.select["options"].append(self.option)
        elif tag == "textarea" and a.get("name") and "disabled" not in a:
            self.textarea = {"name": a["name"], "text": ""}

    def handle_data(self, data):
        if self.option is not None:
            self.option["text"] += data
        if self.textarea is not None:
            self.textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "option":
            self.option = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            text = self.textarea["text"]
            # A browser drops the one newline that follows <textarea>.
            self.form.fields.append((self.textarea["name"], text[1:] if text[:1] == "\n" else text))
            self.textarea = None


def _submitted(form: _Form) -> Data:
    data: Data = {}
    for name, value in form.fields:
        data.setdefault(name, []).append(value)
    for select in form.selects:
        if not select["name"]:
            continue
        options = select["options"]
        chosen = [o for o in options if o["selected"]]
        if not chosen and not select["multiple"] and options:
            chosen = options[:1]  # a single select always sends one option: the first
        for option in chosen:
            value = option["value"] if option["value"] is not None else option["text"].strip()
            data.setdefault(select["name"], []).append(value)
    return data


def form_data(html: str, action: str | None = None) -> Data:
    """The data a browser submits from the page's POST form to ``action``, or from its main POST
    form (the one with most fields)."""
    parser = _FormParser()
    parser.feed(html)
    posts = [f for f in parser.forms if f.attrs.get("method", "").lower() == "post"]
    if action is not None:
        posts = [f for f in posts if f.attrs.get("action") == action]
    form = max(posts, key=lambda f: len(f.fields) + len(f.selects))
    return _submitted(form)


def options(html: str, name: str) -> list[tuple[str, str]]:
    """The (value, text) options of select ``name`` in the page."""
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        for select in form.selects:
            if select["name"] == name:
                return [(o["value"], o["text"].strip()) for o in select["options"]]
    raise KeyError(name)


def load(client, url: str) -> Data:
    """GET ``url`` as ``client`` and return what its form would submit unchanged."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return form_data(response.content.decode())


def changed(data: Data, **changes) -> Data:
    """``data`` with fields replaced (a list sets a multiple select; None removes the field,
    as an unticked checkbox)."""
    data = dict(data)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        elif isinstance(value, list):
            data[name] = [str(v) for v in value]
        else:
            data[name] = [str(value)]
    return data
