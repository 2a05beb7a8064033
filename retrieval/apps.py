from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class RetrievalConfig(AppConfig):
    name = "retrieval"

    def ready(self) -> None:
        """A site's chunk partition lives and dies with the site (retrieval/partitions.py)."""
        from helpdesk.models import Site
        from retrieval import partitions

        post_save.connect(partitions.on_site_saved, sender=Site, dispatch_uid="retrieval-partition-create")
        post_delete.connect(partitions.on_site_deleted, sender=Site, dispatch_uid="retrieval-partition-drop")
