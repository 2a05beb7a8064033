"""GET /api/v1/retrieval/similar: similar past cases within the caller's site scope."""

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import ValidationError
from pydantic import Field

from helpdesk.tenancy import access_site
from retrieval.citations import cases_for_viewer
from retrieval.schemas import CaseOut
from retrieval.selectors import similar_cases
from retrieval.types import SourceType, any_related

router = Router(tags=["retrieval"])


class SimilarQuery(Schema):
    text: str = Field(min_length=1, max_length=8000, description="The problem to find past cases for")
    k: int = Field(5, ge=1, le=20)
    site: int | None = Field(None, description="Site id; required for engineers and admins")
    sources: list[str] = Field(default_factory=lambda: list(SourceType.ALL), description="Source types")


@router.get("/similar", response=list[CaseOut])
def similar(request: HttpRequest, query: Query[SimilarQuery]):
    """Customers search their own site (plus the global KB); staff name a site they cover.
    A site the caller cannot see answers 404, like any other site's object. A customer gets a colleague's
    case anonymized (retrieval.citations)."""
    user = request.auth
    if unknown := set(query.sources) - set(SourceType.ALL):
        raise ValidationError(
            [
                {
                    "loc": ["query", "sources"],
                    "msg": f"Unknown source types: {sorted(unknown)}",
                    "type": "value_error",
                }
            ]
        )
    if user.is_staff_member:
        if query.site is None:
            raise ValidationError(
                [{"loc": ["query", "site"], "msg": "Staff must name a site.", "type": "missing"}]
            )
        site = access_site(user, query.site)
    else:
        site = access_site(user, query.site or user.site_id)
    cases = any_related(similar_cases(site=site, text=query.text, k=query.k, sources=query.sources))
    return cases_for_viewer(user=user, cases=cases)
