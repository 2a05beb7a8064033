from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


def weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


class Site(models.Model):
    """A client company of the MSP: the tenant every ticket, chat and document belongs to."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=60, blank=True, help_text="law firm, clinic, school, retailer...")
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set on the product's site page (administration); blank or null means "as before" everywhere.
    time_zone = models.CharField(max_length=64, blank=True, help_text="blank: the TIME_ZONE setting")
    business_hours_start = models.TimeField(null=True, blank=True, help_text="blank: round the clock")
    business_hours_end = models.TimeField(null=True, blank=True)
    business_days = ArrayField(
        models.PositiveSmallIntegerField(),
        default=weekdays,
        blank=True,
        help_text="0 = Monday ... 6 = Sunday",
    )
    assistant_enabled = models.BooleanField(default=True, help_text="off: chats go straight to a person")
    auto_triage_enabled = models.BooleanField(default=True, help_text="off: every ticket waits for a human")
    auto_triage_confidence = models.FloatField(
        null=True, blank=True, help_text="blank: the provider's own rule (ai.offline.AUTO_TRIAGE_CONFIDENCE)"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        ENGINEER = "engineer", "Engineer"
        ADMIN = "admin", "Admin"

    role = models.CharField(max_length=10, choices=Role.choices, default=Role.CUSTOMER)
    # A customer belongs to exactly one site; engineers cover sites through their profile; admins see all.
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="customers")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="customer") | models.Q(site__isnull=False),
                name="customer_has_site",
            )
        ]

    @property
    def is_customer(self) -> bool:
        return self.role == self.Role.CUSTOMER

    @property
    def is_engineer(self) -> bool:
        return self.role == self.Role.ENGINEER

    @property
    def is_helpdesk_admin(self) -> bool:
        return self.role == self.Role.ADMIN or self.is_superuser

    @property
    def is_staff_member(self) -> bool:
        """Engineers and admins: the people who work tickets."""
        return self.is_engineer or self.is_helpdesk_admin

    @property
    def display_name(self) -> str:
        profile = getattr(self, "profile", None)
        return (profile and profile.display_name) or self.get_full_name() or self.username


class Profile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    # Engineer fields; empty for customers and admins.
    covered_sites = models.ManyToManyField(Site, blank=True, related_name="engineer_profiles")
    expertise = ArrayField(
        models.CharField(max_length=40), default=list, blank=True, help_text="Category slugs, e.g. network"
    )
    is_available = models.BooleanField(default=True)
    capacity = models.PositiveSmallIntegerField(default=8, help_text="Open tickets this engineer can carry")

    def __str__(self) -> str:
        return f"Profile of {self.user.username}"


class AIInteraction(models.Model):
    """One call to an AI provider: who asked for what, what it cost, what it used. Never holds secrets."""

    class Purpose(models.TextChoices):
        TRIAGE = "triage", "Triage"
        DRAFT = "draft", "Reply draft"
        CHAT = "chat", "Chat answer"
        SUMMARY = "summary", "Summary"
        ARTICLE = "article", "KB article draft"

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        FALLBACK = "fallback", "Answered by the fallback"
        ERROR = "error", "Error"
        REFUSED = "refused", "No grounding: refused to guess"
        # The model answered, but unusably (empty, looping, citing nothing): the fallback answered.
        REJECTED = "rejected", "Answer rejected"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="ai_interactions")
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    provider = models.CharField(max_length=20)
    model = models.CharField(max_length=100)
    # Plain ids, not foreign keys: the log outlives the ticket or chat it was about.
    ticket_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    conversation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    sources = ArrayField(models.CharField(max_length=40), default=list, blank=True, help_text="Citation keys")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error = models.TextField(blank=True)
    defects = ArrayField(
        models.CharField(max_length=30),
        default=list,
        blank=True,
        help_text="What was wrong with the model's answer: repaired or rejected (ai.base.Defect)",
    )
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["provider", "-created_at"]),
            models.Index(fields=["site", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} by {self.provider}/{self.model}: {self.outcome}"


class RateLimitWindow(models.Model):
    """A fixed-window request counter per user and scope, shared by every server process."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ratelimit_window_once"),
        ]
        indexes = [models.Index(fields=["window_start"])]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%H:%M:%S}: {self.count}"


class StoredSummary(models.Model):
    """What a summary for engineers stores (tickets.TicketSummary, chat.ConversationSummary): the
    provider's four parts, who wrote them, how much history they read and when. `extractive` marks a
    summary quoted from the history rather than written by a model."""

    problem = models.TextField()
    tried = models.JSONField(default=list, blank=True)
    state = models.TextField(blank=True)
    next_step = models.TextField(blank=True)
    extractive = models.BooleanField(default=True)
    provider = models.CharField(max_length=40, blank=True)
    turns = models.PositiveIntegerField(default=0, help_text="How many entries of the history it read")
    generated_at = models.DateTimeField()

    class Meta:
        abstract = True

    @staticmethod
    def fields_from(result, *, turns: int) -> dict:
        """The stored fields of a provider's SummaryResult (ai.base), generated now."""
        return {
            "problem": result.problem,
            "tried": result.tried,
            "state": result.state,
            "next_step": result.next_step,
            "extractive": result.extractive,
            "provider": result.answered_by,
            "turns": turns,
            "generated_at": timezone.now(),
        }


class AuditEntry(models.Model):
    """One change an admin or engineer made through the product's admin pages: who, when, to what, and
    the fields before and after. Plain ids and a repr, not foreign keys to the changed row, so the record
    outlives it; the site is kept so a site-scoped reader only ever sees its own site's entries."""

    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=40, help_text="created, changed, deleted, invited, deactivated...")
    object_type = models.CharField(max_length=60, help_text="app_label.model of the changed row")
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["site", "-created_at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.action} {self.object_type}:{self.object_id}"
