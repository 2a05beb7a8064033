from datetime import datetime

from ninja import Schema
from pydantic import Field

from knowledge.models import Article


class ArticleOut(Schema):
    id: int
    site_id: int | None = Field(description="None for a global article shared by every site")
    title: str
    slug: str
    body: str = Field(description="Markdown")
    category: str | None
    state: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None

    @staticmethod
    def resolve_category(obj: Article) -> str | None:
        return obj.category.slug if obj.category_id else None


class ArticleIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=100_000)
    site: int | None = Field(None, description="Site id; omit for a global article (admins only)")
    category: str | None = Field(None, description="Category slug")
    state: Article.State = Article.State.DRAFT


class ArticlePatchIn(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    body: str | None = Field(None, min_length=1, max_length=100_000)
    category: str | None = None
    state: Article.State | None = None
