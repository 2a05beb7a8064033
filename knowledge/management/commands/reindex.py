"""Backfill or re-embed the search index: `manage.py reindex [--site SLUG] [--model local|openai]`.

Safe to interrupt (Ctrl-C) and run again: finished documents are skipped by content hash and model.
When it is done it queues the worker jobs that learn each site's search profile and triage classifier.
"""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from helpdesk.jobs import enqueue_on_commit
from helpdesk.models import Site
from knowledge.services import eligible_source_count, index_site
from retrieval.embedders import EmbedderUnavailable


class Command(BaseCommand):
    help = "Index resolved tickets, closed chats and published articles (resumable; skips current ones)."

    def add_arguments(self, parser):
        parser.add_argument("--site", help="Slug of one site (default: every site and the global KB)")
        parser.add_argument("--model", help="Embedder: local or openai (default: settings.EMBEDDER)")
        parser.add_argument("--batch-size", type=int, default=64)
        parser.add_argument("--prune", action="store_true", help="Delete vectors of other models afterwards")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, site=None, model=None, batch_size=64, prune=False, no_progress=False, **options):
        target = None
        if site:
            target = Site.objects.filter(slug=site).first()
            if target is None:
                raise CommandError(f"No site with slug {site!r}")
        total = eligible_source_count(site=target)
        with tqdm(total=total, unit="doc", disable=no_progress, file=self.stderr) as bar:
            try:
                stats = index_site(site=target, model=model, batch_size=batch_size, progress=bar, prune=prune)
            except EmbedderUnavailable as error:
                raise CommandError(str(error)) from error
            except KeyboardInterrupt:
                # Finished batches are committed: the next run skips them and carries on.
                raise CommandError("Interrupted; run the same command again to resume.") from None
        self.stdout.write(
            f"indexed {stats.indexed}, unchanged {stats.unchanged}, removed {stats.removed}, "
            f"chunks embedded {stats.chunks_embedded}"
        )
        # What the index learns from lives in the worker: each site's search profile and classifier.
        enqueue_on_commit("knowledge.tasks.search_profiles_tune")
        enqueue_on_commit("tickets.tasks.triage_models_retrain")
        self.stdout.write("queued for the worker: search profiles and triage classifiers of every site")
