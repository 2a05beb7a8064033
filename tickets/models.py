from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models

from helpdesk.models import Site, StoredSummary


class Category(models.Model):
    """What a ticket is about (network, printers, ...); administered in Django admin."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class TicketState(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATES = [
    TicketState.NEW,
    TicketState.TRIAGED,
    TicketState.ASSIGNED,
    TicketState.IN_PROGRESS,
    TicketState.WAITING_ON_CUSTOMER,
]


class TicketSource(models.TextChoices):
    PORTAL = "portal", "Portal"
    CHAT = "chat", "Chat"
    API = "api", "API"
    EMAIL = "email", "Email"


class SLATarget(models.Model):
    """First-response and resolution targets for a priority; a row with a site overrides the default."""

    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_targets"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "priority"], name="sla_target_per_site_priority"),
            models.UniqueConstraint(
                fields=["priority"], condition=models.Q(site__isnull=True), name="sla_default_per_priority"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site or 'Default'} · {self.priority}"


class Ticket(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="tickets")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets"
    )
    title = models.CharField(max_length=200)
    description = models.TextField()
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    state = models.CharField(max_length=24, choices=TicketState.choices, default=TicketState.NEW)
    source = models.CharField(max_length=10, choices=TicketSource.choices, default=TicketSource.PORTAL)
    # The one-time key of the portal form that opened it: a double submit of that form is this ticket.
    client_key = models.CharField(max_length=64, blank=True)
    resolution = models.TextField(blank=True)
    needs_human_triage = models.BooleanField(default=False)
    needs_assignment = models.BooleanField(default=False, help_text="No engineer could take it: admins look")
    triage_confidence = models.FloatField(null=True, blank=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set by tickets.merging: this ticket was closed as a duplicate of that one (its survivor).
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_tickets"
    )
    # Set when a customer replied after the reopen window: this ticket continues that resolved one.
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["site", "state"]),
            models.Index(fields=["assignee", "state"]),
            # The queue's full-text search (tickets.queue) filters on exactly this expression.
            GinIndex(SearchVector("title", "description", config="english"), name="ticket_search_gin"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "client_key"],
                condition=~models.Q(client_key=""),
                name="ticket_client_key_once",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class TicketEvent(models.Model):
    """Append-only audit trail: every change to a ticket, who made it (a user, or the assistant), when."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        FIELD_CHANGED = "field_changed", "Field changed"
        TRANSITION = "transition", "State changed"
        ASSIGNED = "assigned", "Assigned"
        ASSIGNMENT_FAILED = "assignment_failed", "No engineer available"
        COMMENTED = "commented", "Commented"
        ATTACHMENT_ADDED = "attachment_added", "Attachment added"
        AI_TRIAGE = "ai_triage", "AI triage"
        AI_CORRECTION = "ai_correction", "AI suggestion corrected"
        AI_DRAFT = "ai_draft", "AI draft"
        CSAT = "csat", "Rated"
        DUPLICATE_FLAGGED = "duplicate_flagged", "Flagged as a possible duplicate"
        MERGED = "merged", "Merged"
        FOLLOW_UP = "follow_up", "Follow-up"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    by_assistant = models.BooleanField(default=False)
    field = models.CharField(max_length=40, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on ticket {self.ticket_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Ticket events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ticket events are append-only.")


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    body = models.TextField()
    is_internal = models.BooleanField(default=False, help_text="Internal notes are visible to engineers only")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [GinIndex(SearchVector("body", config="english"), name="comment_search_gin")]

    def __str__(self) -> str:
        return f"{'Note' if self.is_internal else 'Reply'} on ticket {self.ticket_id}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    file = models.FileField(upload_to="attachments/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    is_internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class Review(models.Model):
    """Customer satisfaction (CSAT) for a resolved ticket: one per ticket; also the chat's service review."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="review")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for ticket {self.ticket_id}"


class TriageModel(models.Model):
    """A site's trained triage classifier for one embedding model (tickets.classifier), with what it was
    trained on and how well its confidence is calibrated on the site's held-out tickets."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="triage_models")
    embedding_model = models.CharField(max_length=80)
    model = models.BinaryField(help_text="The pickled classifier, written by tickets.classifier only")
    examples = models.PositiveIntegerField(help_text="Resolved tickets it was trained on")
    categories = models.PositiveIntegerField()
    regression_share = models.FloatField(help_text="The regression's share beside the neighbour vote")
    calibration = models.JSONField(default=dict, help_text="Reliability table and coverage-accuracy curve")
    trained_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "embedding_model"], name="triage_model_per_site_model"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.embedding_model} ({self.examples} tickets, {self.trained_at:%Y-%m-%d})"


class SavedView(models.Model):
    """A queue an engineer named and keeps one click away ("my open, due today"): the queue's filter,
    search and sort as a query string. The sites in it are checked again each time it is opened."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name_per_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.owner_id})"


class DuplicateFlag(models.Model):
    """Two open tickets of one site that tickets.duplicates found alike: one row a pair (the lower id is
    `ticket`), shown on both tickets until one is merged into the other or closed."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="duplicate_flags")
    duplicate = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="duplicate_flags_as_newer")
    similarity = models.FloatField()
    same_requester = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "duplicate"], name="duplicate_flag_once_a_pair"),
            models.CheckConstraint(
                condition=models.Q(ticket__lt=models.F("duplicate")), name="duplicate_flag_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} ~ #{self.duplicate_id} ({self.similarity:.2f})"


class TicketSummary(StoredSummary):
    """What engineers read first on a long ticket (tickets.summaries): regenerated by a worker job when
    the ticket changes, never on a page request."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="summary")

    def __str__(self) -> str:
        return f"Summary of ticket {self.ticket_id}"
