"""Knowledge-base content: global articles (no site) written by hand, and per-site articles built from the
site's own IT (its VPN, Wi-Fi, printers) and from the archetypes that only happen at that site.

The list is fixtures/demo/source/articles.json; each hand-written body is a Markdown file beside it,
`articles/global-<slug>.md` or, for the per-site templates (with `{vpn}`-style slots),
`articles/site-<slug>.md`.
"""

from __future__ import annotations

from demo.source import SOURCE, source_read

_ARTICLES = source_read("articles")


def _with_body(kind: str, spec: dict[str, str]) -> dict[str, str]:
    return {**spec, "body": (SOURCE / "articles" / f"{kind}-{spec['slug']}.md").read_text(encoding="utf-8")}


GLOBAL_ARTICLES = [_with_body("global", spec) for spec in _ARTICLES["global"]]
SITE_ARTICLE_TEMPLATES = [_with_body("site", spec) for spec in _ARTICLES["site_templates"]]
# Site-only archetypes that also get a KB article: (site slug, archetype key, state).
SITE_ARCHETYPE_ARTICLES = [
    (row["site"], row["archetype"], row["state"]) for row in _ARTICLES["site_archetype_articles"]
]
