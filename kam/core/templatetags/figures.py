"""``{% figure_label "sales_12m" window=window %}``: a figure's label with its window as a tooltip
(a ``title``, which the strict CSP allows; kam.css marks such labels with a dotted underline)."""

from django import template
from django.utils.html import format_html

from kam.core.figures import Window, figure

register = template.Library()


@register.simple_tag
def figure_label(key: str, window: Window | None = None, year: int | None = None):
    f = figure(key)
    return format_html(
        '<span class="figure-label" data-figure="{}" title="{}">{}</span>',
        key,
        f.tooltip(window=window, year=year),
        f.text(year=year),
    )


@register.simple_tag
def figure_window(as_of):
    """The 12-month window ending at a snapshot's as-of date (no query)."""
    return Window.ending(as_of) if as_of else None
