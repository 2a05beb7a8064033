from django.conf import settings
from django.db import models

from helpdesk.models import Site


class Article(models.Model):
    """A knowledge-base article: of one site, or global (no site) and shared by every site."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="articles")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220)
    body = models.TextField(help_text="Markdown")
    category = models.ForeignKey("tickets.Category", null=True, blank=True, on_delete=models.SET_NULL)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["site", "slug"], name="article_slug_per_site")]

    def __str__(self) -> str:
        return self.title


class ArticleDraft(models.Model):
    """A KB article proposed from a cluster of one site's resolved tickets and closed chats that share a
    problem and a fix (knowledge.drafting), waiting in the engineers' review queue.

    The members are the draft's fingerprint: a later cluster that mostly overlaps a draft in any state is
    not proposed again, so a dismissed cluster stays dismissed. A cluster an existing article already
    covers is kept as a flag (`near_duplicate_of`, no body) instead of a draft. Publishing creates the
    article (`article`), which is how the cluster's tickets link to it.
    """

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        PUBLISHED = "published", "Published"
        DISMISSED = "dismissed", "Dismissed"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="article_drafts")
    tickets = models.ManyToManyField("tickets.Ticket", blank=True, related_name="article_drafts")
    conversations = models.ManyToManyField("chat.Conversation", blank=True, related_name="article_drafts")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Markdown")
    category = models.ForeignKey("tickets.Category", null=True, blank=True, on_delete=models.SET_NULL)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    near_duplicate_of = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="near_duplicate_drafts"
    )
    similarity = models.FloatField(null=True, blank=True, help_text="To near_duplicate_of")
    article = models.OneToOneField(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="source_draft"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title
