#!/usr/bin/env python
"""Django's command-line utility for the helpdesk."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from helpdesk.database import DatabaseUnavailable

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except DatabaseUnavailable as error:
        sys.stderr.write(f"error: {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
