"""Markdown for KB articles, rendered then sanitised: article bodies are user input."""

import markdown as markdown_lib
import nh3
from django import template
from django.utils.safestring import mark_safe

register = template.Library()

EXTENSIONS = ["fenced_code", "tables", "sane_lists"]


@register.filter
def render_markdown(text: str) -> str:
    html = markdown_lib.markdown(text or "", extensions=EXTENSIONS)
    # nh3 keeps formatting tags and drops scripts, event handlers, styles and javascript: URLs.
    return mark_safe(nh3.clean(html))  # noqa: S308 - sanitised by nh3 on the line above
