from django.conf import settings
from django.db import models, transaction
from django.urls import reverse

from helpdesk.models import Site, StoredSummary


class Conversation(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Outcome(models.TextChoices):
        NONE = "", "Undecided"
        DEFLECTED = "deflected", "Solved by the assistant"
        ESCALATED = "escalated", "Turned into a ticket"

    class CategorySource(models.TextChoices):
        AI = "ai", "Triaged when it closed"
        TICKET = "ticket", "From its ticket"
        ENGINEER = "engineer", "Set by an engineer"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="conversations")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    subject = models.CharField(max_length=200, blank=True)
    # What the conversation was about: triaged when it closes, inherited from its ticket, or set by an
    # engineer (whose choice stands); categorized conversations teach the site's triage like tickets.
    category = models.ForeignKey(
        "tickets.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    category_source = models.CharField(max_length=10, choices=CategorySource.choices, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.NONE, blank=True)
    # The browser's idempotency key for the form that started the conversation (a double submit is one chat).
    client_key = models.CharField(max_length=64, blank=True)
    # Messages are numbered per conversation under a row lock, so sequence numbers commit in order and a
    # feed reading "seq > cursor" never skips a message committed late.
    last_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "client_key"],
                condition=~models.Q(client_key=""),
                name="conversation_client_key_once",
            )
        ]

    def __str__(self) -> str:
        return self.subject or f"Conversation {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("chat:conversation", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def assistant_active(self) -> bool:
        """The assistant answers until the customer decides (solved, or handed to an engineer)."""
        return self.is_open and self.outcome == self.Outcome.NONE


class Message(models.Model):
    class Author(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        ASSISTANT = "assistant", "Assistant"
        ENGINEER = "engineer", "Engineer"
        SYSTEM = "system", "System"

    class Route(models.TextChoices):
        ANSWERED = "answered", "Answered from the site's knowledge"
        NO_MATCH = "no_match", "Nothing similar enough to answer from"
        OFF_TOPIC = "off_topic", "Not an IT question"
        INCIDENT = "incident", "Security incident: vetted steps and an urgent ticket"
        HANDOVER = "handover", "Handed to an engineer"
        UNAVAILABLE = "unavailable", "The assistant failed"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveIntegerField()
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField()
    # For assistant messages: the cases the answer cites ([{"key", "title", "url", "score"}]).
    sources = models.JSONField(default=list, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    # Idempotency key sent by the client with a human message: a retry or double submit is one message.
    client_key = models.CharField(max_length=64, blank=True)
    # A customer message asked while the assistant is active waits for exactly one assistant reply.
    awaits_reply = models.BooleanField(default=False)
    # Who is generating that reply: a claim older than the generation timeout may be taken over.
    reply_claimed_at = models.DateTimeField(null=True, blank=True)
    reply_to = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="reply"
    )
    # What the assistant did with the question (assistant messages), for the insights page.
    route = models.CharField(max_length=12, choices=Route.choices, blank=True)
    # The customer's language as detected in the question (ISO 639-1, "" when unsure).
    language = models.CharField(max_length=8, blank=True)
    # Milliseconds from the question to the first streamed token (assistant messages).
    first_token_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_per_conversation"),
            models.UniqueConstraint(
                fields=["conversation", "client_key"],
                condition=~models.Q(client_key=""),
                name="message_client_key_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_kind} #{self.seq} in conversation {self.conversation_id}"

    def save(self, *args, **kwargs):
        if self.seq is None:
            # Number under the conversation's row lock, held to commit: feeds read by "seq > cursor".
            with transaction.atomic():
                Conversation.objects.select_for_update().filter(pk=self.conversation_id).update(
                    last_seq=models.F("last_seq") + 1
                )
                self.seq = Conversation.objects.values_list("last_seq", flat=True).get(
                    pk=self.conversation_id
                )
                super().save(*args, **kwargs)
            return
        super().save(*args, **kwargs)

    def answer_url(self) -> str:
        return reverse("chat:answer", args=[self.conversation_id, self.pk])


class MessageFeedback(models.Model):
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="feedback")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{'helpful' if self.helpful else 'not helpful'}: message {self.message_id}"


class ConversationEvent(models.Model):
    """A decision about a conversation after the fact, kept for the audit and the evals: so far its
    category (who decided, how sure, what it replaced)."""

    class Kind(models.TextChoices):
        CATEGORIZED = "categorized", "Categorized"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    message = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} (conversation {self.conversation_id}): {self.message}"


class IncidentType(models.Model):
    """A site's version of a security incident type (chat.safety): overrides the built-in default of the
    same slug, or adds a type. Blank text fields keep the default's; `enabled=False` turns the type off."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="incident_types")
    slug = models.SlugField(
        max_length=40, help_text="phishing, lost-device, ransomware, breach, account-takeover or a new one"
    )
    name = models.CharField(max_length=120, blank=True)
    prototypes = models.TextField(blank=True, help_text="Example reports, one per line")
    key_terms = models.TextField(blank=True, help_text="Words or phrases that back a match, one per line")
    steps = models.TextField(blank=True, help_text="The vetted first steps the customer is given")
    article = models.ForeignKey(
        "knowledge.Article",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A published KB article of this site (or a global one) given instead of the steps",
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["site", "slug"]
        constraints = [models.UniqueConstraint(fields=["site", "slug"], name="incident_type_slug_per_site")]

    def __str__(self) -> str:
        return f"{self.name or self.slug} ({self.site})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from chat.safety import DEFAULTS_BY_SLUG

        if self.article_id and self.article.site_id not in (None, self.site_id):
            raise ValidationError({"article": "Choose an article of this site or a global one."})
        if self.slug not in DEFAULTS_BY_SLUG and not (self.name and self.prototypes and self.steps):
            raise ValidationError("A new incident type needs a name, example reports and steps.")


class ConversationSummary(StoredSummary):
    """What an engineer reads first on a long conversation (chat.summaries): regenerated by a worker job
    when an engineer writes, the customer asks for a person, or the conversation closes; never on a page
    request."""

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="summary")

    def __str__(self) -> str:
        return f"Summary of conversation {self.conversation_id}"
