from ninja import Schema
from pydantic import Field


class CaseOut(Schema):
    key: str = Field(description="Citation key, e.g. ticket:42")
    source_type: str = Field(description="ticket, transcript or article")
    source_id: int
    site_id: int | None = Field(description="None for a global KB article")
    title: str
    snippet: str
    url: str
    score: float = Field(
        description="Fused relevance: normalised cosine and BM25 scores mixed by the site's learnt weight"
    )
    similarity: float = Field(description="Cosine similarity of the best-matching chunk")
    category: str | None
    priority: str | None
    resolution: str
    text: str = Field(description="The document text, for grounding")

    @staticmethod
    def resolve_key(obj) -> str:
        return obj.citation_key
