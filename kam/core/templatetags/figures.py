"""``{% figure_label "sales_12m" window=window %}``: a figure's label with its window as a tooltip
(a ``title``, which the strict CSP allows; kam.css marks such labels with a dotted underline)."""

from django import template
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext

from kam.core.figures import Window, figure

register = template.Library()


@register.simple_tag
def figure_label(key: str, window: Window | None = None, year: int | None = None):
    f = figure(key)
    return _label(key, f.tooltip(window=window, year=year), f.text(year=year))


def _label(key: str, title: str, text: str):
    return format_html(
        '<span class="figure-label" data-figure="{}" title="{}">{}</span>', key, title, text
    )


@register.simple_tag
def figure_window(as_of):
    """The 12-month window ending at a snapshot's as-of date (no query)."""
    return Window.ending(as_of) if as_of else None


@register.simple_tag
def figure_column(key: str):
    """The label of a column whose rows are years: the window is in each value's tooltip."""
    f = figure(key)
    title = gettext("%(source)s. Each row is one year: a value's tooltip names its window.") % {
        "source": capfirst(str(f.source))
    }
    return _label(key, title, f.column())


@register.simple_tag
def figure_tooltip(key: str, year: int | None = None, window: Window | None = None):
    return figure(key).tooltip(window=window, year=year)
