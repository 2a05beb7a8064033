from pathlib import Path

from django.core.management.base import BaseCommand

from demo.loader import DEFAULT_PATH, demo_load


class Command(BaseCommand):
    help = (
        "Load the demo sites, people, tickets, chats and KB articles; running it again creates nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--path", type=Path, default=DEFAULT_PATH, help="Folder of the generated JSON files."
        )
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")

    def handle(self, *args, path: Path, quiet: bool, **options):
        report = demo_load(path=path)
        if quiet:
            return
        self.stdout.write(report.summary)
        self.stdout.write(f"\nDemo logins (password for all: {report.password}):")
        for login in report.logins:
            where = f" at {login.site}" if login.site else ""
            self.stdout.write(f"  {login.username:<32} {login.role}{where} ({login.name})")
