from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from pgvector.django import VectorField

from helpdesk.models import Site


class SearchProfile(models.Model):
    """How hybrid search weighs its two sides for one site and embedding model, learnt from the site's own
    history by `knowledge.search_tuning` (never from an eval set).

    `dense_weight` is the share of the vector side in a past case's fused score (the full-text side gets
    the rest), `article_dense_weight` the same for a KB article (a question finds a manual section by its
    words more than a problem finds a past ticket),
    for a query whose words match as well as the site's own cases typically do (`typical_coverage`); a
    query whose words match less leans on the vector side in proportion (`query_dense_weight`);
    `min_similarity` is the site's line between related and unrelated questions: when no case reaches that
    cosine (nor matches most of the query's words) the question is unrelated; the offline vote's floor too.
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="search_profiles")
    embedding_model = models.CharField(max_length=80)
    dense_weight = models.FloatField(help_text="For tickets and chats")
    article_dense_weight = models.FloatField(help_text="For KB articles")
    typical_coverage = models.FloatField(
        default=1.0,
        help_text="Median share of a query's word weight its best case matches, on the site's cases",
    )
    min_similarity = models.FloatField()
    pseudo_queries = models.PositiveIntegerField(help_text="How many of the site's own cases chose these")
    details = models.JSONField(default=dict, blank=True)
    tuned_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "embedding_model"], name="search_profile_per_model"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.embedding_model}: dense {self.dense_weight:.1f}"


class SourceType(models.TextChoices):
    """Kinds of documents; the values are retrieval.types.SourceType's."""

    TICKET = "ticket", "Resolved ticket"
    TRANSCRIPT = "transcript", "Chat transcript"
    ARTICLE = "article", "KB article"


class Document(models.Model):
    """The searchable text of one resolved ticket, closed chat transcript or published article.

    Retrieval stores and searches it; the app owning each kind of source decides what text it is made of
    (knowledge's indexing). Its links to the sources are declared by name only, for the cascade, so
    retrieval imports none of them.

    Exactly one of ticket/conversation/article is set, so deleting the source (or its site) cascades to
    the document and its chunks: no vector outlives what it was made from. `content_hash` is the hash of
    `text`; with `Chunk.embedding_model` it decides whether re-indexing has anything to do.
    """

    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="documents")
    source_type = models.CharField(max_length=12, choices=SourceType.choices)
    source_id = models.BigIntegerField()
    ticket = models.OneToOneField(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="document"
    )
    conversation = models.OneToOneField(
        "chat.Conversation", null=True, blank=True, on_delete=models.CASCADE, related_name="document"
    )
    article = models.OneToOneField(
        "knowledge.Article", null=True, blank=True, on_delete=models.CASCADE, related_name="document"
    )
    title = models.CharField(max_length=200)
    text = models.TextField()
    category = models.CharField(max_length=40, blank=True, help_text="Category slug")
    priority = models.CharField(max_length=10, blank=True)
    resolution = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source_type", "source_id"], name="document_per_source"),
            models.CheckConstraint(
                condition=(
                    models.Q(source_type="ticket", ticket__isnull=False)
                    | models.Q(source_type="transcript", conversation__isnull=False)
                    | models.Q(source_type="article", article__isnull=False)
                ),
                name="document_has_its_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_type}:{self.source_id} {self.title}"


class Chunk(models.Model):
    """A token window of a document with its vector from one embedding model.

    `embedding` has no fixed dimensions so vectors of several models can coexist (pgvector's advice:
    an expression index per dimension, partial on the model); search only compares rows of one model.
    Site, source type and id are copied from the document so the search filters in one table.

    The table is LIST-partitioned by site (retrieval/partitions.py, migration 0003), so its unique keys
    hold site_id: a chunk's site is its document's, and global rows' NULL site counts as one value.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    source_type = models.CharField(max_length=12, choices=SourceType.choices)
    source_id = models.BigIntegerField()
    ordinal = models.PositiveIntegerField()
    text = models.TextField()
    token_count = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    embedding_model = models.CharField(max_length=80)
    embedding = VectorField()
    search_vector = models.GeneratedField(
        expression=SearchVector("text", config="english"), output_field=SearchVectorField(), db_persist=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "ordinal"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "embedding_model", "content_hash", "site"],
                name="chunk_once_per_model",
                nulls_distinct=False,
            ),
        ]
        indexes = [
            models.Index(fields=["embedding_model", "site"], name="chunk_model_site"),
            GinIndex(fields=["search_vector"], name="chunk_search_vector"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.ordinal} ({self.embedding_model})"
