from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"

    def ready(self) -> None:
        from knowledge.selectors import cited_articles
        from retrieval.citations import register_cited_source
        from retrieval.types import SourceType

        register_cited_source(SourceType.ARTICLE, cited_articles, anonymized=False)
