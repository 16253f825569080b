"""Posting a form as a browser would: every field with the value the page shows, then changes."""


def form_data(form, **changes) -> dict:
    """The fields of an unbound form as a browser submits them; ``changes`` override them.

    An unticked checkbox is left out and an empty value is sent as "", as browsers do.
    """
    data = {}
    for field in form:
        value = field.value()
        if value is False:
            continue
        data[field.html_name] = "" if value is None else value
    return data | changes
