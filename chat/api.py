"""The chat over the API: the same services as the pages; the assistant's answer comes back whole.

(Streaming is for browsers: GET /chat/<id>/messages/<message_id>/answer/ serves server-sent events.)
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Router, Status

from chat.schemas import (
    ConversationOut,
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
    conversation_escalate,
    conversation_resolve,
    conversation_start,
    feedback_set,
    message_post,
)
from helpdesk.integrations.auth import api_auth
from helpdesk.ratelimit import RateLimited, rate_limit_hit, rate_limited, too_many_requests

router = Router(tags=["chat"], auth=api_auth)


def _exchange(conversation, message) -> dict:
    reply = assistant_reply_ensure(question=message) if message.awaits_reply else None
    conversation.refresh_from_db()
    return {
        "conversation": conversation,
        "message": message_as_dict(message),
        "reply": message_as_dict(reply) if reply else None,
    }


def _invalid(error: ValidationError) -> dict:
    return {"detail": " ".join(error.messages)}


@router.get("/conversations", response=list[ConversationOut])
def conversation_list(request: HttpRequest):
    return list(conversations_for_user(user=request.auth)[:100])


@router.post("/conversations", response={201: ExchangeOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut})
@rate_limited("chat", "ai")
def conversation_create(request: HttpRequest, payload: MessageIn):
    """Ask the assistant a first question: the conversation, the question and the grounded answer."""
    user = request.auth
    if not user.is_customer:
        return Status(403, {"detail": "Only customers start a conversation with the assistant."})
    try:
        conversation, message = conversation_start(
            site=user.site, customer=user, body=payload.body, client_key=payload.client_key
        )
    except ValidationError as error:
        return Status(422, _invalid(error))
    return Status(201, _exchange(conversation, message))


@router.get("/conversations/{conversation_id}", response=ConversationOut)
def conversation_detail(request: HttpRequest, conversation_id: int):
    return conversation_get_for_user(user=request.auth, pk=conversation_id)


@router.get("/conversations/{conversation_id}/messages", response=list[MessageOut])
def message_list(request: HttpRequest, conversation_id: int, after: int = 0):
    """Messages numbered after `after` (a cursor: the last `seq` you have)."""
    conversation = conversation_get_for_user(user=request.auth, pk=conversation_id)
    return [
        message_as_dict(message) for message in messages_after(conversation=conversation, after_seq=after)
    ]


@router.post(
    "/conversations/{conversation_id}/messages",
    response={201: ExchangeOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
)
@rate_limited("chat")
def message_create(request: HttpRequest, conversation_id: int, payload: MessageIn):
    user = request.auth
    conversation = conversation_get_for_user(user=user, pk=conversation_id)
    try:
        if user.pk == conversation.customer_id and conversation.assistant_active:
            rate_limit_hit(user=user, scope="ai")
        message = message_post(
            site=conversation.site,
            conversation=conversation,
            author=user,
            body=payload.body,
            client_key=payload.client_key,
        )
    except RateLimited as error:
        return too_many_requests(request, error)
    except PermissionDenied as error:
        return Status(403, {"detail": str(error)})
    except ValidationError as error:
        return Status(422, _invalid(error))
    except ConversationClosed as error:
        return Status(409, {"detail": str(error)})
    return Status(201, _exchange(conversation, message))


@router.post(
    "/conversations/{conversation_id}/resolve", response={200: ConversationOut, 403: ErrorOut, 409: ErrorOut}
)
@rate_limited("chat")
def conversation_resolve_endpoint(request: HttpRequest, conversation_id: int):
    conversation = conversation_get_for_user(user=request.auth, pk=conversation_id)
    try:
        return Status(
            200, conversation_resolve(site=conversation.site, conversation=conversation, user=request.auth)
        )
    except ConversationClosed as error:
        return Status(409, {"detail": str(error)})
    except PermissionDenied as error:
        return Status(403, {"detail": str(error)})


@router.post(
    "/conversations/{conversation_id}/escalate", response={200: ConversationOut, 403: ErrorOut, 409: ErrorOut}
)
@rate_limited("chat")
def conversation_escalate_endpoint(request: HttpRequest, conversation_id: int):
    """ "I still need help": a ticket with the transcript, linked to the conversation."""
    conversation = conversation_get_for_user(user=request.auth, pk=conversation_id)
    try:
        conversation_escalate(site=conversation.site, conversation=conversation, user=request.auth)
    except ConversationClosed as error:
        return Status(409, {"detail": str(error)})
    except PermissionDenied as error:
        return Status(403, {"detail": str(error)})
    conversation.refresh_from_db()
    return Status(200, conversation)


@router.post("/messages/{message_id}/feedback", response={200: FeedbackOut, 403: ErrorOut, 422: ErrorOut})
@rate_limited("chat")
def feedback_create(request: HttpRequest, message_id: int, payload: FeedbackIn):
    message = message_get_for_user(user=request.auth, pk=message_id)
    try:
        return Status(
            200,
            feedback_set(
                site=message.site,
                message=message,
                user=request.auth,
                helpful=payload.helpful,
                comment=payload.comment,
            ),
        )
    except PermissionDenied as error:
        return Status(403, {"detail": str(error)})
    except ValidationError as error:
        return Status(422, _invalid(error))
