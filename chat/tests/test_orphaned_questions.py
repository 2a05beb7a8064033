"""The scheduled sweep answers questions orphaned by a crash (a claim that expired, or that was never
taken), exactly once, and leaves questions that someone is still answering alone."""

import threading
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from chat.models import Message
from chat.services import REPLY_CLAIM_TIMEOUT, assistant_reply_claim, conversation_start
from chat.tasks import orphaned_questions_answer
from helpdesk.schedules import PERIODIC_JOBS

QUESTION = "The printer at reception says offline and nothing prints"
LONG_AGO = REPLY_CLAIM_TIMEOUT + timedelta(minutes=1)


def _orphan(site, customer, *, claimed: bool = True) -> Message:
    """A question whose answering process died: claimed (or posted) longer ago than the timeout."""
    _, question = conversation_start(site=site, customer=customer, body=QUESTION)
    then = timezone.now() - LONG_AGO
    Message.objects.filter(pk=question.pk).update(reply_claimed_at=then if claimed else None, created_at=then)
    return question


def _replies(question: Message) -> int:
    return Message.objects.filter(reply_to=question).count()


def test_it_answers_a_question_whose_claim_expired_once_over_two_runs(site_a, customer_a):
    question = _orphan(site_a, customer_a)

    assert orphaned_questions_answer() == 1
    assert orphaned_questions_answer() == 0

    reply = Message.objects.get(reply_to=question)
    assert reply.author_kind == Message.Author.ASSISTANT and reply.body


def test_it_answers_a_question_nobody_ever_claimed(site_a, customer_a):
    question = _orphan(site_a, customer_a, claimed=False)

    orphaned_questions_answer()

    assert _replies(question) == 1


def test_it_leaves_a_fresh_claim_and_a_fresh_question_alone(site_a, customer_a):
    _, claimed = conversation_start(site=site_a, customer=customer_a, body=QUESTION)
    assert assistant_reply_claim(question=claimed)
    _, just_asked = conversation_start(site=site_a, customer=customer_a, body=QUESTION)

    assert orphaned_questions_answer() == 0

    assert (_replies(claimed), _replies(just_asked)) == (0, 0)


def test_it_leaves_questions_of_decided_conversations_alone(site_a, customer_a):
    question = _orphan(site_a, customer_a)
    question.conversation.state = "closed"
    question.conversation.save(update_fields=["state"])

    assert orphaned_questions_answer() == 0


def test_two_concurrent_sweeps_answer_an_orphan_exactly_once(transactional_db, site_a, customer_a):
    # Plain transactional_db like the live-server tests beside it: the sweeps' threads need committed rows.
    question = _orphan(site_a, customer_a)
    barrier = threading.Barrier(2)
    answered, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            answered.append(orphaned_questions_answer())
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(answered) == [0, 1]
    assert _replies(question) == 1


def test_it_is_scheduled():
    assert "chat.tasks.orphaned_questions_answer" in {job["func"] for job in PERIODIC_JOBS}
