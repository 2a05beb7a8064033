"""Markdown for KB articles, rendered then sanitised: article bodies are user input."""

import re

import markdown as markdown_lib
import nh3
from django import template
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

register = template.Library()

EXTENSIONS = ["fenced_code", "tables", "sane_lists"]


@register.filter
def render_markdown(text: str) -> str:
    html = markdown_lib.markdown(text or "", extensions=EXTENSIONS)
    # nh3 keeps formatting tags and drops scripts, event handlers, styles and javascript: URLs.
    return mark_safe(nh3.clean(html))  # noqa: S308 - sanitised by nh3 on the line above


@register.filter
def markdown_excerpt(text: str, length: int = 160) -> str:
    """An article's opening as plain text for a list: the markdown rendered, then its tags dropped, so
    `**bold**` reads as bold words and a heading or a list marker never shows raw."""
    html = markdown_lib.markdown(text or "", extensions=EXTENSIONS)
    plain = re.sub(r"\s+", " ", strip_tags(nh3.clean(html))).strip()
    return Truncator(plain).chars(int(length))
