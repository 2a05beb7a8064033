"""Demo data: a seeded generator (`python -m helpdesk.demo.generate`) and an idempotent loader."""
