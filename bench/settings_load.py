"""Settings for the load benchmark only: production settings with the per-user chat/AI rate limits lifted.

A handful of bench users send thousands of requests a minute; the benchmark measures throughput and
durability, not the rate limiter (which has its own tests).
"""

from config.settings import *  # noqa: F403

RATE_LIMITS = {**RATE_LIMITS, "chat": (1_000_000, 60), "ai": (1_000_000, 60)}  # noqa: F405

# Compressed static files without the manifest: `collectstatic` with the manifest storage currently fails
# on the vendored Bootstrap's missing .map files (see docs/load.md); serving cost is the same.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}}  # noqa: F405
