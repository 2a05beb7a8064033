from django.contrib import admin

from knowledge.models import Article
from retrieval.models import Chunk, Document


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "site", "state", "category", "updated_at"]
    list_filter = ["state", "site", "category"]
    search_fields = ["title", "body"]
    prepopulated_fields = {"slug": ["title"]}


class ChunkInline(admin.TabularInline):
    model = Chunk
    fields = ["ordinal", "embedding_model", "token_count", "content_hash", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Read-only: documents are derived from their sources by the indexer (manage.py reindex)."""

    list_display = ["title", "source_type", "source_id", "site", "category", "updated_at"]
    list_filter = ["source_type", "site"]
    search_fields = ["title", "text"]
    readonly_fields = [f.name for f in Document._meta.fields]
    inlines = [ChunkInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
