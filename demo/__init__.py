"""Demo data: content in fixtures/demo/source/, a seeded generator (`python -m demo.generate`) and an
idempotent loader (`manage.py demo_load`). It sits above the apps it fills; only commands, tests and
benchmarks import it."""
