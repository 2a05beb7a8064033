"""The chat over the API: the same services as the pages; the assistant's answer comes back whole.

(Streaming is for browsers: GET /chat/<id>/messages/<message_id>/answer/ serves server-sent events.)
Refusals are exceptions turned into responses by config/api.py: a too-long message is 422, a rate
limit 429 with Retry-After, another site's conversation 404.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import ValidationError

from chat.schemas import (
    ConversationOut,
    ConversationPatchIn,
    ErrorOut,
    ExchangeOut,
    FeedbackIn,
    FeedbackOut,
    MessageIn,
    MessageOut,
)
from chat.selectors import (
    conversation_get_for_user,
    conversations_for_user,
    message_as_dict,
    message_get_for_user,
    messages_after,
)
from chat.services import (
    ConversationClosed,
    assistant_reply_ensure,
    conversation_category_set,
    conversation_escalate,
    conversation_resolve,
    conversation_start,
    feedback_set,
    message_post,
)
from helpdesk.ratelimit import rate_limit_hit
from tickets.models import Category

router = Router(tags=["chat"])


def _limit(request: HttpRequest, *scopes: str) -> None:
    for scope in scopes:
        rate_limit_hit(user=request.auth, scope=scope)


def _exchange(conversation, message, *, viewer) -> dict:
    reply = assistant_reply_ensure(question=message) if message.awaits_reply else None
    conversation.refresh_from_db()
    return {
        "conversation": conversation,
        "message": message_as_dict(message, viewer=viewer),
        "reply": message_as_dict(reply, viewer=viewer) if reply else None,
    }


@router.get("/conversations", response=list[ConversationOut])
def conversation_list(request: HttpRequest):
    return list(conversations_for_user(user=request.auth)[:100])


@router.post("/conversations", response={201: ExchangeOut})
def conversation_create(request: HttpRequest, payload: MessageIn):
    """Ask the assistant a first question: the conversation, the question and the grounded answer."""
    user = request.auth
    if not user.is_customer:
        raise PermissionDenied("Only customers start a conversation with the assistant.")
    _limit(request, "chat", "ai")
    conversation, message = conversation_start(
        site=user.site, customer=user, body=payload.body, client_key=payload.client_key
    )
    return Status(201, _exchange(conversation, message, viewer=user))


@router.get("/conversations/{conversation_id}", response=ConversationOut)
def conversation_detail(request: HttpRequest, conversation_id: int):
    return conversation_get_for_user(user=request.auth, pk=conversation_id)


@router.patch("/conversations/{conversation_id}", response=ConversationOut)
def conversation_update(request: HttpRequest, conversation_id: int, payload: ConversationPatchIn):
    """Staff of the site: set the conversation's category (it stands, and it trains the site's triage)."""
    conversation = conversation_get_for_user(user=request.auth, pk=conversation_id)
    # Categories are global reference data (not tenant rows), so a plain lookup is safe here.
    category = Category.objects.filter(slug=payload.category).first()
    if category is None:
        message = f"Unknown category {payload.category!r}."
        raise ValidationError([{"loc": ["body", "category"], "msg": message, "type": "value_error"}])
    return conversation_category_set(
        site=conversation.site, conversation=conversation, user=request.auth, category=category
    )


@router.get("/conversations/{conversation_id}/messages", response=list[MessageOut])
def message_list(request: HttpRequest, conversation_id: int, after: int = 0):
    """Messages numbered after `after` (a cursor: the last `seq` you have)."""
    conversation = conversation_get_for_user(user=request.auth, pk=conversation_id)
    messages = messages_after(conversation=conversation, after_seq=after)
    return [message_as_dict(message, viewer=request.auth) for message in messages]


@router.post("/conversations/{conversation_id}/messages", response={201: ExchangeOut, 409: ErrorOut})
def message_create(request: HttpRequest, conversation_id: int, payload: MessageIn):
    """A customer's or an engineer's message; a question to the assistant comes back with its answer."""
    user = request.auth
    conversation = conversation_get_for_user(user=user, pk=conversation_id)
    asks_assistant = user.pk == conversation.customer_id and conversation.assistant_active
    _limit(request, "chat", *(["ai"] if asks_assistant else []))
    try:
        message = message_post(
            site=conversation.site,
            conversation=conversation,
            author=user,
            body=payload.body,
            client_key=payload.client_key,
        )
    except ConversationClosed as error:
        return Status(409, {"detail": str(error)})
    return Status(201, _exchange(conversation, message, viewer=user))


@router.post("/conversations/{conversation_id}/resolve", response={200: ConversationOut, 409: ErrorOut})
def conversation_resolve_endpoint(request: HttpRequest, conversation_id: int):
    """ "This solved it": closed as a deflection; the transcript is indexed."""
    conversation = conversation_get_for_user(user=request.auth, pk=conversation_id)
    _limit(request, "chat")
    try:
        return Status(
            200, conversation_resolve(site=conversation.site, conversation=conversation, user=request.auth)
        )
    except ConversationClosed as error:
        return Status(409, {"detail": str(error)})


@router.post("/conversations/{conversation_id}/escalate", response={200: ConversationOut, 409: ErrorOut})
def conversation_escalate_endpoint(request: HttpRequest, conversation_id: int):
    """ "I still need help": a ticket with the transcript, linked to the conversation."""
    conversation = conversation_get_for_user(user=request.auth, pk=conversation_id)
    _limit(request, "chat")
    try:
        conversation_escalate(site=conversation.site, conversation=conversation, user=request.auth)
    except ConversationClosed as error:
        return Status(409, {"detail": str(error)})
    conversation.refresh_from_db()
    return Status(200, conversation)


@router.post("/messages/{message_id}/feedback", response=FeedbackOut)
def feedback_create(request: HttpRequest, message_id: int, payload: FeedbackIn):
    message = message_get_for_user(user=request.auth, pk=message_id)
    _limit(request, "chat")
    return feedback_set(
        site=message.site,
        message=message,
        user=request.auth,
        helpful=payload.helpful,
        comment=payload.comment,
    )
