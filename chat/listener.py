"""One `LISTEN chat_feed` connection per server process wakes the live feeds whose conversation changed.

The trigger of migration chat 0009 sends the conversation's id at commit of any write to it. Feeds still
read by cursor (the notification is only "look now", so nothing is lost if one is missed): after a
dropped listener connection every feed of the process is woken once, and each feed also re-reads on
its slow safety timer (`CHAT_FEED_POLL_SECONDS`). The listener belongs to the event loop that started
it (uvicorn runs one per worker process) and runs as a task of that loop: no thread, no pool slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator

import psycopg
from django.db import connections

logger = logging.getLogger(__name__)

CHANNEL = "chat_feed"
RECONNECT_SECONDS = (0.5, 1, 2, 5)


def _conninfo() -> str:
    database = connections["default"].settings_dict
    params = {
        "dbname": database["NAME"],
        "user": database["USER"],
        "password": database["PASSWORD"],
        "host": database["HOST"],
        "port": database["PORT"],
    }
    return psycopg.conninfo.make_conninfo(**{key: value for key, value in params.items() if value})


class Wake:
    """What a feed waits on: set by a notification for its conversation (or a listener reconnect)."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def set(self) -> None:
        self.event.set()

    def clear(self) -> None:
        self.event.clear()

    async def wait(self, timeout: float) -> bool:
        """True when woken, false when `timeout` passed without news."""
        try:
            await asyncio.wait_for(self.event.wait(), timeout)
        except TimeoutError:
            return False
        return True


class FeedListener:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: dict[int, set[Wake]] = defaultdict(set)
        self.listening = asyncio.Event()
        self.task = loop.create_task(self._run(), name="chat-feed-listener")

    @contextlib.contextmanager
    def subscription(self, conversation_id: int) -> Iterator[Wake]:
        wake = Wake()
        self.waiting[conversation_id].add(wake)
        try:
            yield wake
        finally:
            waiting = self.waiting.get(conversation_id)
            if waiting is not None:
                waiting.discard(wake)
                if not waiting:
                    del self.waiting[conversation_id]

    def _wake(self, conversation_id: int) -> None:
        for wake in self.waiting.get(conversation_id, ()):
            wake.set()

    def _wake_all(self) -> None:
        for waiting in self.waiting.values():
            for wake in waiting:
                wake.set()

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(_conninfo(), autocommit=True) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    failures = 0
                    # Whatever was committed while we were not listening: every feed re-reads its cursor.
                    self._wake_all()
                    async for notification in connection.notifies():
                        with contextlib.suppress(ValueError):
                            self._wake(int(notification.payload))
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database restarting or unreachable: feeds keep their timer
                logger.warning("chat feed listener lost its connection: %s", type(error).__name__)
            self.listening.clear()
            await asyncio.sleep(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])
            failures += 1


_listeners: dict[asyncio.AbstractEventLoop, FeedListener] = {}


def feed_listener() -> FeedListener:
    """This event loop's listener, started on first use."""
    loop = asyncio.get_running_loop()
    listener = _listeners.get(loop)
    if listener is None or listener.task.done():
        for old in [old for old in _listeners if old.is_closed()]:
            del _listeners[old]
        listener = _listeners[loop] = FeedListener(loop)
    return listener
