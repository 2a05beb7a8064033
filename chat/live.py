"""Server-sent event streams: the conversation feed and the assistant's streamed answer.

Both read the DATABASE, never process memory, so any server process can serve any conversation and a
reconnecting browser (EventSource sends Last-Event-ID) catches up from its cursor. A feed reads when the
process's listener (chat/listener.py) hears that its conversation changed, and otherwise only on a slow
safety timer; an idle feed costs nothing. Database reads run in the shared thread pool
(thread_sensitive=False): a long-lived stream does not pin a connection per client. Answers are
generated in a bounded pool of their own (`CHAT_ANSWER_THREADS`): they are CPU-bound, and one thread
per answer let 25 answers in a process fight the event loop for the GIL, so every feed and stream of
that process stalled behind them (docs/chat.md, "Why the tail was 11 s").
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from chat.listener import feed_listener
from chat.models import Conversation, Message
from chat.selectors import conversation_state_as_dict, message_as_dict, messages_after
from chat.services import ReplyDone, assistant_reply_claim, assistant_reply_stream

KEEPALIVE_SECONDS = 15
RETRY_MS = 1000


def poll_seconds() -> float:
    """The safety re-read of a feed that heard nothing (a notification lost in a listener reconnect)."""
    return settings.CHAT_FEED_POLL_SECONDS


def feed_max_seconds() -> float:
    """A feed ends after this long; EventSource reconnects with Last-Event-ID and resumes from its cursor."""
    return settings.CHAT_FEED_MAX_SECONDS


def sse(event: str, data: dict, *, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _in_pool(function):
    return sync_to_async(function, thread_sensitive=False)


def _feed_poll(conversation_id: int, cursor: int, viewer=None) -> tuple[list[dict], dict | None]:
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        return [], None
    if conversation.last_seq <= cursor:
        # The idle case, most polls: one primary-key read, no message query.
        return [], conversation_state_as_dict(conversation)
    messages = [
        message_as_dict(message, viewer=viewer)
        for message in messages_after(conversation=conversation, after_seq=cursor)
    ]
    return messages, conversation_state_as_dict(conversation)


async def _news(wake, *, read_by: float, keepalive_by: float, ends: float) -> AsyncIterator[str]:
    """Wait for news: return when woken or when the safety re-read is due, sending keepalives meanwhile."""
    while (now := time.monotonic()) < min(read_by, ends):
        if await wake.wait(min(read_by, keepalive_by, ends) - now):
            return
        if time.monotonic() >= keepalive_by:
            yield ": keepalive\n\n"
            keepalive_by = time.monotonic() + KEEPALIVE_SECONDS


async def conversation_feed(conversation_id: int, cursor: int, viewer=None) -> AsyncIterator[str]:
    """Every message after `cursor`, then new ones as they are committed, with the conversation's state;
    sources as `viewer` may see them (retrieval.citations)."""
    yield f"retry: {RETRY_MS}\n\n"
    ends = time.monotonic() + feed_max_seconds()
    last_sent = time.monotonic()
    last_state = None
    # Subscribed before the first read: a commit between that read and the wait still wakes the feed.
    with feed_listener().subscription(conversation_id) as wake:
        while time.monotonic() < ends:
            wake.clear()
            messages, state = await _in_pool(_feed_poll)(conversation_id, cursor, viewer)
            if state is None:
                yield sse("gone", {})
                return
            for message in messages:
                cursor = message["seq"]
                yield sse("message", message, event_id=cursor)
                last_sent = time.monotonic()
            state_now = {key: value for key, value in state.items() if key != "last_seq"}
            if state_now != last_state:
                last_state = state_now
                yield sse("state", state)
                last_sent = time.monotonic()
            news = _news(
                wake,
                read_by=time.monotonic() + poll_seconds(),
                keepalive_by=last_sent + KEEPALIVE_SECONDS,
                ends=ends,
            )
            async for keepalive in news:
                yield keepalive
                last_sent = time.monotonic()


_END = object()


@functools.cache
def _answers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=settings.CHAT_ANSWER_THREADS, thread_name_prefix="chat-answer")


def _generate(question: Message, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
    """Run in the answer pool: the answer is generated and saved even if the listener goes away."""

    def emit(item) -> None:
        # A closed event loop (server stopping) means nobody listens; the reply is still saved.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(queue.put_nowait, item)

    try:
        for item in assistant_reply_stream(question=question):
            emit(item)
    finally:
        connections.close_all()
        emit(_END)


def _conversation_of(question_id: int) -> int:
    return Message.objects.values_list("conversation_id", flat=True).get(pk=question_id)


def _reply_payload(question_id: int) -> dict | None:
    reply = Message.objects.filter(reply_to_id=question_id).select_related("feedback").first()
    return message_as_dict(reply) if reply is not None else None


def _claim(question_id: int) -> Message | None:
    question = Message.objects.select_related("conversation__site").get(pk=question_id)
    return question if assistant_reply_claim(question=question) else None


async def answer_stream(question_id: int) -> AsyncIterator[str]:
    """The assistant's answer to one question: `token` events, then `done` with the saved message.

    Whoever claims the question generates it (in the answer pool, outliving this response); anyone else
    (a double submit, a reconnect, another process) waits for the saved reply, woken by its
    conversation's notification, and receives it whole.
    """
    yield f"retry: {RETRY_MS}\n\n"
    conversation_id = await _in_pool(_conversation_of)(question_id)
    with feed_listener().subscription(conversation_id) as wake:
        while True:
            wake.clear()
            reply = await _in_pool(_reply_payload)(question_id)
            if reply is not None:
                yield sse("done", reply, event_id=reply["seq"])
                return
            question = await _in_pool(_claim)(question_id)
            if question is not None:
                break
            news = _news(
                wake,
                read_by=time.monotonic() + poll_seconds(),
                keepalive_by=time.monotonic() + KEEPALIVE_SECONDS,
                ends=float("inf"),
            )
            async for keepalive in news:
                yield keepalive

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    # Not awaited: the generation is not cancelled when this response is.
    loop.run_in_executor(_answers(), _generate, question, loop, queue)
    while True:
        item = await queue.get()
        if item is _END:
            return
        if isinstance(item, ReplyDone):
            payload = await _in_pool(message_as_dict)(item.message)
            yield sse("done", payload, event_id=item.message.seq)
        else:
            yield sse("token", {"t": item})
