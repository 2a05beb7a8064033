"""Chat pages: the help page, a conversation, the live streams, decisions, feedback and the admin insights."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from chat import live
from chat.forms import CategoryForm, FeedbackForm, MessageForm
from chat.models import Message
from chat.selectors import (
    chat_insights,
    conversation_get_for_user,
    conversation_summary_for,
    conversations_for_user,
    message_as_dict,
    message_get_for_user,
    messages_after,
    pending_question,
    ticket_url,
)
from chat.services import (
    ConversationClosed,
    conversation_category_set,
    conversation_close,
    conversation_escalate,
    conversation_resolve,
    conversation_start,
    feedback_set,
    message_post,
)
from helpdesk.ratelimit import RateLimited, rate_limit_hit, rate_limited, too_many_requests

CLOSED_SENTENCE = (
    "This conversation is closed, so your message was not sent. "
    "If you still need help, start a new conversation on the help page."
)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _errors(form_or_error) -> dict:
    if isinstance(form_or_error, ValidationError):
        if hasattr(form_or_error, "error_dict"):
            return {
                field: [str(m) for m in errors[0]] for field, errors in form_or_error.message_dict.items()
            }
        return {"__all__": form_or_error.messages}
    return {field: list(errors) for field, errors in form_or_error.errors.items()}


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The help page: customers ask here; the helpdesk sees the conversations of the sites it covers."""
    conversations = conversations_for_user(user=request.user)[:50]
    return render(
        request,
        "chat/index.html",
        {"conversations": conversations, "form": MessageForm(), "can_start": request.user.is_customer},
    )


@login_required
@require_POST
@rate_limited("chat", "ai")
def start(request: HttpRequest) -> HttpResponse:
    if not request.user.is_customer:
        raise PermissionDenied("Only customers start a conversation with the assistant.")
    form = MessageForm(request.POST)
    if not form.is_valid():
        if _wants_json(request):
            return JsonResponse({"errors": _errors(form)}, status=422)
        conversations = conversations_for_user(user=request.user)[:50]
        context = {"conversations": conversations, "form": form, "can_start": True}
        return render(request, "chat/index.html", context, status=422)
    conversation, question = conversation_start(
        site=request.user.site,
        customer=request.user,
        body=form.cleaned_data["body"],
        client_key=form.cleaned_data["client_key"],
    )
    if _wants_json(request):
        payload = {"conversation_id": conversation.pk, "url": conversation.get_absolute_url()}
        return JsonResponse(
            {**payload, "message": message_as_dict(question), "answer_url": question.answer_url()}
        )
    return redirect(conversation.get_absolute_url())


def _conversation_context(request: HttpRequest, conversation, form=None, category_form=None) -> dict:
    pending = pending_question(conversation=conversation)
    user = request.user
    if category_form is None and user.is_staff_member:
        category_form = CategoryForm(initial={"category": conversation.category_id})
    chat_messages = messages_after(conversation=conversation, after_seq=0, limit=1000)
    return {
        "conversation": conversation,
        "chat_messages": chat_messages,
        "last_seq": chat_messages[-1].seq if chat_messages else 0,
        "form": form or MessageForm(),
        "pending": pending,
        "is_customer": user.pk == conversation.customer_id,
        "ticket_url": ticket_url(conversation.ticket_id) if conversation.ticket_id else None,
        "category_form": category_form,
        "summary": conversation_summary_for(conversation=conversation) if user.is_staff_member else None,
    }


@login_required
@require_GET
def conversation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = conversation_get_for_user(user=request.user, pk=pk)
    return render(request, "chat/conversation.html", _conversation_context(request, conversation))


@login_required
@require_POST
@rate_limited("chat")
def message_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A message from the customer or an engineer; the page then opens the answer stream if one is due."""
    conversation = conversation_get_for_user(user=request.user, pk=pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            if request.user.pk == conversation.customer_id and conversation.assistant_active:
                rate_limit_hit(user=request.user, scope="ai")
            message = message_post(
                site=conversation.site,
                conversation=conversation,
                author=request.user,
                body=form.cleaned_data["body"],
                client_key=form.cleaned_data["client_key"],
            )
        except RateLimited as error:
            return too_many_requests(request, error)
        except ConversationClosed:
            form.add_error(None, CLOSED_SENTENCE)
    if form.errors:
        if _wants_json(request):
            return JsonResponse({"errors": _errors(form)}, status=422)
        return render(
            request, "chat/conversation.html", _conversation_context(request, conversation, form), status=422
        )
    if _wants_json(request):
        payload = message_as_dict(message)
        if message.awaits_reply:
            payload["answer_url"] = message.answer_url()
        return JsonResponse(payload, status=201)
    return redirect(conversation.get_absolute_url())


@login_required
@require_POST
@rate_limited("chat")
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = conversation_get_for_user(user=request.user, pk=pk)
    try:
        conversation_resolve(site=conversation.site, conversation=conversation, user=request.user)
        flash.success(request, "Glad it is solved. Thank you for letting us know.")
    except ConversationClosed as error:
        flash.error(request, str(error))
    return redirect(conversation.get_absolute_url())


@login_required
@require_POST
@rate_limited("chat")
def escalate(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = conversation_get_for_user(user=request.user, pk=pk)
    try:
        ticket = conversation_escalate(site=conversation.site, conversation=conversation, user=request.user)
    except ConversationClosed as error:
        flash.error(request, str(error))
        return redirect(conversation.get_absolute_url())
    flash.success(request, f"Ticket #{ticket.pk} was created. An engineer will answer in this conversation.")
    return redirect(conversation.get_absolute_url())


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = conversation_get_for_user(user=request.user, pk=pk)
    conversation_close(site=conversation.site, conversation=conversation, user=request.user)
    return redirect(conversation.get_absolute_url())


@login_required
@require_POST
def category(request: HttpRequest, pk: int) -> HttpResponse:
    """Engineers of the site: set or correct the conversation's category (it stands, and it trains triage)."""
    conversation = conversation_get_for_user(user=request.user, pk=pk)
    form = CategoryForm(request.POST)
    if not form.is_valid():
        context = _conversation_context(request, conversation, category_form=form)
        return render(request, "chat/conversation.html", context, status=422)
    chosen = form.cleaned_data["category"]
    conversation_category_set(
        site=conversation.site, conversation=conversation, user=request.user, category=chosen
    )
    flash.success(request, f"Category set to {chosen}.")
    return redirect(conversation.get_absolute_url())


@login_required
@require_POST
@rate_limited("chat")
def feedback(request: HttpRequest, message_pk: int) -> HttpResponse:
    message = message_get_for_user(user=request.user, pk=message_pk)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        if _wants_json(request):
            return JsonResponse({"errors": _errors(form)}, status=422)
        flash.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect(message.conversation.get_absolute_url())
    try:
        saved = feedback_set(
            site=message.site,
            message=message,
            user=request.user,
            helpful=form.cleaned_data["helpful"] == "yes",
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        if _wants_json(request):
            return JsonResponse({"errors": _errors(error)}, status=422)
        flash.error(request, " ".join(error.messages))
        return redirect(message.conversation.get_absolute_url())
    if _wants_json(request):
        return JsonResponse({"helpful": saved.helpful, "comment": saved.comment})
    flash.success(request, "Thank you for the feedback.")
    return redirect(message.conversation.get_absolute_url())


@login_required
@require_GET
def insights(request: HttpRequest) -> HttpResponse:
    """Admins: per-site deflection rate, helpfulness of answers and average answer latency."""
    if not request.user.is_helpdesk_admin:
        raise Http404("No such page.")
    return render(request, "chat/insights.html", {"rows": chat_insights(user=request.user)})


# --- Live streams (async: served by uvicorn under ASGI) ----------------------------------------------


def _stream(body) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    # Proxies (nginx) must pass events through as they come.
    response["X-Accel-Buffering"] = "no"
    return response


def _cursor(request: HttpRequest) -> int:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("after") or "0"
    try:
        return max(0, int(raw))
    except ValueError:
        return 0


def _feed_access(user, pk: int) -> int:
    conversation = conversation_get_for_user(user=user, pk=pk)
    # This request's connection is not needed while streaming: the stream reads through the thread pool.
    connection.close()
    return conversation.pk


def _question_access(user, pk: int, message_pk: int) -> int:
    conversation = conversation_get_for_user(user=user, pk=pk)
    question = Message.objects.filter(
        pk=message_pk, conversation=conversation, author_kind=Message.Author.CUSTOMER, awaits_reply=True
    ).first()
    if question is None:
        raise Http404("No question waits for an answer here.")
    connection.close()
    return question.pk


@login_required
@require_GET
async def feed(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Server-sent events: the conversation's messages after the cursor (Last-Event-ID), then live ones."""
    user = await request.auser()
    conversation_id = await sync_to_async(_feed_access)(user, pk)
    return _stream(live.conversation_feed(conversation_id, _cursor(request), viewer=user))


@login_required
@require_GET
async def answer(request: HttpRequest, pk: int, message_pk: int) -> StreamingHttpResponse:
    """Server-sent events: the assistant's answer to one question, token by token, then the saved message."""
    user = await request.auser()
    question_id = await sync_to_async(_question_access)(user, pk, message_pk)
    return _stream(live.answer_stream(question_id))
