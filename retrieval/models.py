from django.db import models

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
