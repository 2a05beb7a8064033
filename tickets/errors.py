"""Domain errors of the tickets app: raised by services, turned into a message (pages) or 409/422 (API)."""


class TicketError(Exception):
    """Base of every refusal a ticket service can give; `str(error)` is safe to show to the user."""


class InvalidTransition(TicketError):
    """The ticket cannot move from its current state to the requested one (or a precondition is missing)."""


class ActionNotAllowed(TicketError):
    """The actor may not do this to this ticket (wrong role, not the requester, site not covered)."""


class AttachmentRejected(TicketError):
    """An upload failed validation: wrong type, too large, not a real image, or a decompression bomb."""


class ReviewNotAllowed(TicketError):
    """A CSAT rating was refused: not the requester, not resolved yet, or already rated."""
