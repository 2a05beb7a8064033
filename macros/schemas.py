from datetime import datetime

from ninja import Schema
from pydantic import Field

from macros.models import Macro


class MacroOut(Schema):
    id: int
    site_id: int | None = Field(description="None for a global macro shared by every site")
    name: str
    body: str = Field(description="The reply text, with placeholders such as {requester_first_name}")
    is_internal: bool
    set_state: str = Field(description="The state it moves a ticket to; empty to leave it")
    set_category: str | None = Field(description="Category slug it sets")
    set_priority: str = Field(description="The priority it sets; empty to leave it")
    add_tags: list[str]
    is_active: bool
    updated_at: datetime

    @staticmethod
    def resolve_set_category(obj: Macro) -> str | None:
        return obj.set_category.slug if obj.set_category_id else None


class SuggestionOut(Schema):
    macro: MacroOut
    tickets: int = Field(description="Similar past tickets of the site the macro was applied to")
    reason: str


class ApplyIn(Schema):
    ticket: int = Field(ge=1, le=2**63 - 1, description="The ticket to apply the macro to")


class MacroUseOut(Schema):
    id: int
    macro_id: int
    ticket_id: int
    used_by_id: int | None
    comment_id: int | None
    created_at: datetime
