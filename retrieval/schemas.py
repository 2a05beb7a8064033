from ninja import Schema
from pydantic import Field


class CaseOut(Schema):
    key: str = Field(description="Citation key, e.g. ticket:42; blank when anonymized")
    source_type: str = Field(description="ticket, transcript or article")
    source_id: int | None = Field(description="None when anonymized")
    site_id: int | None = Field(description="None for a global KB article")
    title: str
    snippet: str
    url: str
    score: float = Field(
        description="Fused relevance: normalised cosine and BM25 scores mixed by the site's learnt weight"
    )
    similarity: float = Field(description="Cosine similarity of the best-matching chunk")
    related: bool = Field(
        True, description="False for a weak match: under the site's cosine floor and few of the query's words"
    )
    category: str | None
    priority: str | None
    resolution: str
    text: str = Field(description="The document text, for grounding; blank when anonymized")
    anonymized: bool = Field(
        False,
        description="A colleague's case shown to a customer: title 'a similar resolved case, <Month YYYY>', "
        "snippet and resolution an excerpt of its resolution; no id, key, link, text, category or priority",
    )

    @staticmethod
    def resolve_key(obj) -> str:
        return obj["key"] if isinstance(obj, dict) else obj.citation_key
