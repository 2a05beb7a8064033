"""The site's pages, found from the URL map: what the security-header and CSP tests visit."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver


def page_urls(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    """Every URL without arguments, outside the admin and the JSON API."""
    urls = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = str(entry.pattern)
        if "<" in route or "(?P" in route or route.startswith(("admin/", "api/", "^")):
            continue
        if isinstance(entry, URLResolver):
            urls += page_urls(entry, prefix + route)
        elif isinstance(entry, URLPattern):
            urls.append("/" + prefix + route)
    return urls
