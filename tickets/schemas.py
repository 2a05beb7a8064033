"""Request and response shapes of the tickets API (and of the ticket webhook payload)."""
