from datetime import datetime

from ninja import Field, Schema

from chat.services import message_max_length


class MessageIn(Schema):
    body: str = Field(..., min_length=1, max_length=message_max_length())
    client_key: str = Field(
        "", max_length=64, description="Idempotency key: a retry with the same key is one message"
    )


class ConversationPatchIn(Schema):
    category: str = Field(..., min_length=1, max_length=40, description="Category slug (staff of the site)")


class FeedbackIn(Schema):
    helpful: bool
    comment: str = Field("", max_length=1000)


class SourceOut(Schema):
    key: str
    cid: int
    label: str
    title: str
    url: str
    score: float
    excerpt: str = ""


class FeedbackOut(Schema):
    helpful: bool
    comment: str


class MessageOut(Schema):
    id: int
    seq: int
    conversation_id: int
    author_kind: str
    author_name: str
    body: str
    sources: list[SourceOut]
    reply_to: int | None
    latency_ms: int | None
    created_at: datetime
    feedback: FeedbackOut | None


class ConversationOut(Schema):
    id: int
    site_id: int
    subject: str
    state: str
    outcome: str
    ticket_id: int | None
    category: str | None = Field(description="Category slug")
    category_source: str = Field(description="Who set the category: ai, ticket, engineer (empty: nobody)")
    assistant_active: bool
    last_seq: int
    created_at: datetime

    @staticmethod
    def resolve_category(obj) -> str | None:
        return obj.category.slug if obj.category_id else None


class ExchangeOut(Schema):
    """A message and, when it was a question to the assistant, the assistant's saved answer."""

    conversation: ConversationOut
    message: MessageOut
    reply: MessageOut | None


class ErrorOut(Schema):
    detail: str
