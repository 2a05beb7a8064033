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
