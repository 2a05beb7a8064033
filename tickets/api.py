"""The tickets API: thin endpoints over tickets.selectors (reads) and tickets.services (writes).

Every ticket is fetched through `selectors.ticket_get_for_user`, so another site's ticket is a 404 before
any rule about roles is consulted; role refusals (403) and state conflicts (409) come from the services'
own exceptions, turned into responses in config/api.py.
"""

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest
from ninja import File, Form, Query, Router, Status
from ninja.errors import HttpError, ValidationError
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from helpdesk.ratelimit import rate_limit_hit
from helpdesk.tenancy import access_site
from tickets import merging, queue, selectors, services
from tickets.models import Category, Ticket, TicketSource
from tickets.schemas import (
    AssignIn,
    AttachmentOut,
    CaseOut,
    CategoryOut,
    CommentIn,
    CommentOut,
    DraftOut,
    EventOut,
    FollowUpOut,
    MergeIn,
    ReviewIn,
    ReviewOut,
    TicketDetailOut,
    TicketFilters,
    TicketIn,
    TicketOut,
    TicketPatchIn,
    TransitionIn,
    TriageOut,
    triage_event_for,
    triage_out,
)
from tickets.triage import ticket_draft_reply, triage_ticket

router = Router(tags=["tickets"])


class Pages(PageNumberPagination):
    """Page numbers with bounds, so no request can ask the database for an absurd OFFSET."""

    class Input(PageNumberPagination.Input):
        page: int = Field(1, ge=1, le=10_000)
        page_size: int | None = Field(None, ge=1, le=100)

    def __init__(self, **kwargs):
        super().__init__(page_size=25, max_page_size=100, **kwargs)


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError([{"loc": ["body", field], "msg": message, "type": "value_error"}])


def _category(slug: str) -> Category:
    # Categories are global reference data (not tenant rows), so a plain lookup is safe here.
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise _field_error("category", f"Unknown category {slug!r}.")
    return category


def _ticket(request: HttpRequest, ticket_id: int):
    return selectors.ticket_get_for_user(user=request.auth, pk=ticket_id)


def _staff_only(request: HttpRequest, what: str) -> None:
    if not request.auth.is_staff_member:
        raise PermissionDenied(f"Only engineers and admins can {what}.")


@router.get("/categories", response=list[CategoryOut], summary="Ticket categories (global)")
def category_list(request: HttpRequest):
    return Category.objects.all()


@router.get(
    "/attachments/{attachment_id}/download",
    response={200: None},
    summary="Download an attachment (always as a file, never rendered inline)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def attachment_download(request: HttpRequest, attachment_id: int):
    attachment = selectors.attachment_get_for_user(user=request.auth, pk=attachment_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@router.get("", response=list[TicketOut], summary="Tickets you can see, filtered, ordered and paginated")
@paginate(Pages)
def ticket_list(request: HttpRequest, filters: Query[TicketFilters]):
    user = request.auth
    tickets = selectors.ticket_list(
        user=user,
        site=filters.site,
        state=filters.state,
        priority=filters.priority,
        overdue=filters.overdue,
        assigned_to=user if filters.assigned_to_me else None,
    )
    if filters.category:
        tickets = tickets.filter(category__slug=filters.category)
    if filters.q:
        tickets = queue.ticket_search(tickets, user=user, q=filters.q)
    if filters.sort:
        return queue.ticket_sorted(tickets, filters.sort)
    return tickets.order_by(filters.ordering, "-pk")


@router.post("", response={201: TicketDetailOut}, summary="Open a ticket (customers: for their own site)")
def ticket_create(request: HttpRequest, payload: TicketIn):
    user = request.auth
    if payload.site_id is not None:
        site = access_site(user, payload.site_id)
    elif user.is_customer:
        site = user.site
    else:
        raise _field_error("site_id", "Engineers and admins must say which site the ticket is for.")
    ticket = services.ticket_create(
        site=site,
        requester=user,
        title=payload.title,
        description=payload.description,
        source=TicketSource.API,
        category=_category(payload.category) if payload.category else None,
        priority=payload.priority,
        tags=payload.tags,
        actor=user,
    )
    return Status(201, _ticket(request, ticket.pk))


@router.get("/{ticket_id}", response=TicketDetailOut, summary="One ticket with its AI triage and CSAT")
def ticket_detail(request: HttpRequest, ticket_id: int):
    return _ticket(request, ticket_id)


@router.patch("/{ticket_id}", response=TicketDetailOut, summary="Edit title, description, category, ...")
def ticket_update(request: HttpRequest, ticket_id: int, payload: TicketPatchIn):
    ticket = _ticket(request, ticket_id)
    fields = payload.dict(exclude_unset=True, exclude_none=True)
    if "category" in fields:
        fields["category"] = _category(fields["category"])
    if fields:
        services.ticket_update(ticket=ticket, actor=request.auth, **fields)
    return _ticket(request, ticket_id)


@router.post(
    "/{ticket_id}/transitions",
    response=TicketDetailOut,
    summary="Move the ticket to another state (409 when the lifecycle forbids it)",
)
def ticket_transition(request: HttpRequest, ticket_id: int, payload: TransitionIn):
    ticket = _ticket(request, ticket_id)
    services.ticket_transition(
        ticket=ticket, to_state=payload.to_state, actor=request.auth, note=payload.note
    )
    return _ticket(request, ticket_id)


@router.post(
    "/{ticket_id}/assign",
    response=TicketDetailOut,
    summary="Assign to an engineer covering the site, or automatically without assignee_id",
)
def ticket_assign(request: HttpRequest, ticket_id: int, payload: AssignIn):
    ticket = _ticket(request, ticket_id)
    _staff_only(request, "assign tickets")
    actor = request.auth
    if payload.assignee_id is None:
        services.ticket_auto_assign(ticket=ticket, actor=actor)
    else:
        assignee = selectors.engineers_covering(site=ticket.site_id).filter(pk=payload.assignee_id).first()
        if assignee is None:
            raise _field_error("assignee_id", "No engineer covering this site has that id.")
        services.ticket_assign(ticket=ticket, assignee=assignee, actor=actor)
    return _ticket(request, ticket_id)


@router.get("/{ticket_id}/events", response=list[EventOut], summary="Audit trail (engineers and admins)")
def ticket_events(request: HttpRequest, ticket_id: int):
    ticket = _ticket(request, ticket_id)
    _staff_only(request, "read the audit trail")
    return selectors.events_for(ticket=ticket, user=request.auth)


@router.get(
    "/{ticket_id}/comments", response=list[CommentOut], summary="Replies (and internal notes for staff)"
)
def comment_list(request: HttpRequest, ticket_id: int):
    ticket = _ticket(request, ticket_id)
    return selectors.comments_for(ticket=ticket, user=request.auth)


@router.post(
    "/{ticket_id}/comments",
    response={201: CommentOut | FollowUpOut},
    summary="Reply, or add an internal note (a customer's reply after the reopen window opens a follow-up)",
)
def comment_create(request: HttpRequest, ticket_id: int, payload: CommentIn):
    ticket = _ticket(request, ticket_id)
    comment = services.comment_create(
        ticket=ticket, author=request.auth, body=payload.body, is_internal=payload.is_internal
    )
    if isinstance(comment, Ticket):
        detail = f"Ticket #{ticket.pk} was resolved a while ago, so the reply opened follow-up #{comment.pk}."
        return Status(201, {"follow_up": _ticket(request, comment.pk), "detail": detail})
    return Status(201, comment)


@router.post(
    "/{ticket_id}/merge",
    response=TicketDetailOut,
    summary="Merge this ticket into target_id (same site, both open): returns the surviving ticket",
)
def ticket_merge(request: HttpRequest, ticket_id: int, payload: MergeIn):
    source = _ticket(request, ticket_id)
    _staff_only(request, "merge tickets")
    target = _ticket(request, payload.target_id)
    survivor = merging.ticket_merge(source=source, target=target, actor=request.auth)
    return _ticket(request, survivor.pk)


@router.get("/{ticket_id}/attachments", response=list[AttachmentOut])
def attachment_list(request: HttpRequest, ticket_id: int):
    ticket = _ticket(request, ticket_id)
    return selectors.attachments_for(ticket=ticket, user=request.auth)


@router.post(
    "/{ticket_id}/attachments",
    response={201: AttachmentOut},
    summary="Upload a file (multipart/form-data; images are re-encoded, types checked by content)",
)
def attachment_upload(
    request: HttpRequest, ticket_id: int, file: File[UploadedFile], is_internal: Form[bool] = False
):
    ticket = _ticket(request, ticket_id)
    attachment = services.attachment_add(
        ticket=ticket, uploaded_by=request.auth, upload=file, is_internal=is_internal
    )
    return Status(201, attachment)


@router.get(
    "/{ticket_id}/similar",
    response=list[CaseOut],
    summary="Similar past cases of the ticket's site (plus the global KB), best first",
)
def ticket_similar(request: HttpRequest, ticket_id: int, k: int = Query(5, ge=1, le=20)):
    ticket = _ticket(request, ticket_id)
    _staff_only(request, "see similar cases")
    return selectors.similar_cases_for_ticket(ticket=ticket, k=k)


@router.post(
    "/{ticket_id}/ai/categorize",
    response=TriageOut,
    summary="Run AI triage now if it has not run yet, and return its result",
)
def ticket_ai_categorize(request: HttpRequest, ticket_id: int):
    ticket = _ticket(request, ticket_id)
    _staff_only(request, "run AI triage")
    rate_limit_hit(user=request.auth, scope="ai")
    triage_ticket(ticket_id=ticket.pk)
    event = triage_event_for(ticket=ticket)
    if event is None:
        raise HttpError(409, "This ticket was triaged by a person; there is no AI triage to run.")
    return triage_out(event, staff=True)


@router.post(
    "/{ticket_id}/ai/draft", response=DraftOut, summary="Draft a grounded reply citing similar cases"
)
def ticket_ai_draft(request: HttpRequest, ticket_id: int):
    ticket = _ticket(request, ticket_id)
    actor = request.auth
    _staff_only(request, "draft replies")
    rate_limit_hit(user=actor, scope="ai")
    return ticket_draft_reply(ticket=ticket, actor=actor)


@router.post(
    "/{ticket_id}/review", response={201: ReviewOut}, summary="Rate a resolved ticket (requester, once)"
)
def ticket_review(request: HttpRequest, ticket_id: int, payload: ReviewIn):
    ticket = _ticket(request, ticket_id)
    review = services.review_create(
        ticket=ticket, author=request.auth, rating=payload.rating, comment=payload.comment
    )
    return Status(201, review)
