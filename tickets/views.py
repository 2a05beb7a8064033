"""Pages of the helpdesk: the customer portal, the engineer queue and ticket page, the admin overview.

Views validate a form, fetch through the selectors (404 across sites), call one service and redirect;
a domain error becomes a message on the page.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ai.base import AIUnavailable
from helpdesk.ratelimit import RateLimited, rate_limit_hit, too_many_requests
from helpdesk.tenancy import visible_sites
from retrieval.embedders import RememberingEmbedder, get_embedder
from tickets import queue as queue_tools
from tickets import selectors, services
from tickets.duplicates import open_duplicates_for
from tickets.errors import AttachmentRejected, TicketError
from tickets.forms import (
    AssignForm,
    BulkActionForm,
    DraftDecisionForm,
    QueueFilterForm,
    ReplyForm,
    ReviewForm,
    SavedViewForm,
    TicketCreateForm,
    TicketEditForm,
    TransitionForm,
)
from tickets.lifecycle import transitions_allowed
from tickets.merging import ticket_merge as ticket_merge_service
from tickets.models import OPEN_STATES, Ticket, TicketState
from tickets.triage import ticket_draft_outcome, ticket_draft_reply, ticket_draft_send

PAGE_SIZE = 25


def staff_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff_member:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_helpdesk_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _ticket_for_staff(request: HttpRequest, pk: int):
    """The ticket (404 if the user may not see it), then 403 unless the user works tickets."""
    ticket = selectors.ticket_get_for_user(user=request.user, pk=pk)
    if not request.user.is_staff_member:
        raise PermissionDenied
    return ticket


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def portal(request: HttpRequest) -> HttpResponse:
    """The customer's own tickets, newest first."""
    if request.user.is_staff_member:
        return redirect("tickets:queue")
    tickets = selectors.ticket_list(user=request.user)
    return render(request, "tickets/portal.html", {"page": _page(request, tickets)})


@login_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    if request.user.is_staff_member or request.user.site is None:
        raise PermissionDenied
    form = TicketCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create(
                site=request.user.site,
                requester=request.user,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                uploads=form.cleaned_data["attachments"],
                client_key=form.cleaned_data["client_key"],
            )
        except AttachmentRejected as error:
            form.add_error("attachments", str(error))
        except TicketError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Ticket #{ticket.pk} created. We will get back to you.")
            return redirect("tickets:detail", pk=ticket.pk)
    return render(request, "tickets/ticket_new.html", {"form": form})


@login_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = selectors.ticket_get_for_user(user=user, pk=pk)
    context = {
        "ticket": ticket,
        "comments": selectors.comments_for(ticket=ticket, user=user),
        "attachments": selectors.attachments_for(ticket=ticket, user=user),
        "transitions": transitions_allowed(ticket, user),
        "reply_form": ReplyForm(staff=user.is_staff_member),
        "review": selectors.review_for(ticket=ticket),
    }
    if not user.is_staff_member:
        context["review_form"] = ReviewForm()
        context["can_review"] = (
            context["review"] is None
            and ticket.requester_id == user.pk
            and ticket.state in (TicketState.RESOLVED, TicketState.CLOSED)
        )
        return render(request, "tickets/detail_customer.html", context)
    engineers = selectors.engineers_covering(site=ticket.site_id)
    embedder = RememberingEmbedder(get_embedder())  # the ticket's text is embedded once for the page
    history = selectors.requester_history(ticket=ticket, embedder=embedder)
    context.update(
        events=selectors.events_for(ticket=ticket, user=user),
        assign_form=AssignForm(engineers=engineers, initial={"assignee": ticket.assignee_id}),
        edit_form=TicketEditForm(
            initial={
                "category": ticket.category_id,
                "priority": ticket.priority,
                "tags": ", ".join(ticket.tags),
            }
        ),
        can_assign=ticket.state in OPEN_STATES,
        similar_cases=selectors.similar_cases_for_ticket(ticket=ticket, embedder=embedder),
        requester_history=history,
        summary=selectors.ticket_summary_for(ticket=ticket),
        history_similar=sum(item.similar for item in history),
        draft=selectors.pending_draft_for(ticket=ticket),
        duplicates=open_duplicates_for(ticket=ticket, user=user),
    )
    return render(request, "tickets/detail_engineer.html", context)


def _form_errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _domain_errors_to_messages(request: HttpRequest, action):
    try:
        return action()
    except TicketError as error:
        messages.error(request, str(error))
        return None


@require_POST
@login_required
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(user=request.user, pk=pk)
    form = ReplyForm(request.POST, request.FILES, staff=request.user.is_staff_member)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("tickets:detail", pk=ticket.pk)
    internal = form.cleaned_data.get("is_internal", False)
    comment = _domain_errors_to_messages(
        request,
        lambda: services.comment_create(
            ticket=ticket,
            author=request.user,
            body=form.cleaned_data["body"],
            is_internal=internal,
            uploads=form.cleaned_data["attachments"],
        ),
    )
    if isinstance(comment, Ticket):
        messages.info(
            request,
            f"Ticket #{ticket.pk} was resolved a while ago, so your reply opened follow-up #{comment.pk}.",
        )
        return redirect("tickets:detail", pk=comment.pk)
    if comment is not None:
        messages.success(request, "Internal note added." if internal else "Reply sent.")
    return redirect("tickets:detail", pk=ticket.pk)


class MergeForm(forms.Form):
    target = forms.IntegerField(
        min_value=1, error_messages={"required": "Say which ticket this one is a duplicate of."}
    )


@require_POST
@staff_required
def ticket_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge this ticket into the one the form names (the survivor); both are fetched for the user."""
    source = _ticket_for_staff(request, pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("tickets:detail", pk=source.pk)
    target = selectors.ticket_get_for_user(user=request.user, pk=form.cleaned_data["target"])
    merged = _domain_errors_to_messages(
        request, lambda: ticket_merge_service(source=source, target=target, actor=request.user)
    )
    if merged is None:
        return redirect("tickets:detail", pk=source.pk)
    messages.success(request, f"Ticket #{source.pk} was merged into this ticket.")
    return redirect("tickets:detail", pk=merged.pk)


@require_POST
@login_required
def ticket_transition(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(user=request.user, pk=pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid state.")
        return redirect("tickets:detail", pk=ticket.pk)
    to_state = form.cleaned_data["to_state"]
    moved = _domain_errors_to_messages(
        request,
        lambda: services.ticket_transition(
            ticket=ticket, to_state=to_state, actor=request.user, note=form.cleaned_data["note"]
        ),
    )
    if moved is not None:
        messages.success(request, f"Ticket is now {TicketState(to_state).label.lower()}.")
    return redirect("tickets:detail", pk=ticket.pk)


@require_POST
@login_required
def ticket_assign(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_for_staff(request, pk)
    form = AssignForm(request.POST, engineers=selectors.engineers_covering(site=ticket.site_id))
    if not form.is_valid():
        messages.error(request, "Choose an engineer who covers this site.")
        return redirect("tickets:detail", pk=ticket.pk)
    assignee = form.cleaned_data["assignee"]
    if assignee is None:
        result = _domain_errors_to_messages(
            request, lambda: services.ticket_auto_assign(ticket=ticket, actor=request.user)
        )
    else:
        result = _domain_errors_to_messages(
            request, lambda: services.ticket_assign(ticket=ticket, assignee=assignee, actor=request.user)
        )
    if result is not None:
        if result.assignee_id:
            messages.success(request, f"Assigned to {result.assignee.display_name}.")
        else:
            messages.warning(request, "No engineer is available: the ticket is flagged for an admin.")
    return redirect("tickets:detail", pk=ticket.pk)


@require_POST
@login_required
def ticket_assign_me(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_for_staff(request, pk)
    if _domain_errors_to_messages(
        request, lambda: services.ticket_assign(ticket=ticket, assignee=request.user, actor=request.user)
    ):
        messages.success(request, "The ticket is yours.")
    return redirect("tickets:detail", pk=ticket.pk)


@require_POST
@login_required
def ticket_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_for_staff(request, pk)
    form = TicketEditForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("tickets:detail", pk=ticket.pk)
    if _domain_errors_to_messages(
        request, lambda: services.ticket_update(ticket=ticket, actor=request.user, **form.cleaned_data)
    ):
        messages.success(request, "Ticket updated.")
    return redirect("tickets:detail", pk=ticket.pk)


@require_POST
@login_required
def ticket_review(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(user=request.user, pk=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a rating from 1 to 5.")
        return redirect("tickets:detail", pk=ticket.pk)
    if _domain_errors_to_messages(
        request,
        lambda: services.review_create(
            ticket=ticket,
            author=request.user,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        ),
    ):
        messages.success(request, "Thank you for your rating.")
    return redirect("tickets:detail", pk=ticket.pk)


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Files are served only through here, to users who may see the ticket (never from a public URL)."""
    attachment = selectors.attachment_get_for_user(user=request.user, pk=pk)
    inline = attachment.content_type.startswith("image/")
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    if not inline:
        # Even if a browser renders an uploaded file, it runs nothing and reaches nothing.
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    """The engineer's queue over the sites they cover: search, filters, sort, keyset pages, the dashboard
    counts, saved views and bulk actions. A bad field (an unknown sort, a site no longer covered) is
    told on the page and left out; the rest of the query still applies."""
    user = request.user
    form = QueueFilterForm(request.GET or None, sites=visible_sites(user))
    filters = {}
    if form.is_bound:
        form.is_valid()  # cleaned_data then holds the valid fields; the page names the invalid ones
        filters = form.cleaned_data
    state = filters.get("state") or ""
    tickets = selectors.ticket_list(
        user=user,
        site=filters.get("site"),
        state=state if state not in ("", "all") else None,
        open_only=state == "",
        priority=filters.get("priority") or None,
        overdue=filters.get("overdue", False),
        assigned_to=user if filters.get("mine") else None,
        needs_assignment=filters.get("unassigned", False),
    )
    if filters.get("due_today"):
        tickets = queue_tools.due_by_end_of_today(tickets)
    if filters.get("q"):
        tickets = queue_tools.ticket_search(tickets, user=user, q=filters["q"])
    sort = filters.get("sort") or queue_tools.DEFAULT_SORT
    try:
        page = queue_tools.keyset_page(tickets, sort=sort, after=request.GET.get("after"), size=PAGE_SIZE)
    except queue_tools.QueueQueryError as error:
        page = queue_tools.keyset_page(tickets, sort=sort, after=None, size=PAGE_SIZE)
        page.errors.append(str(error))
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("page", None)
    querystring = query.urlencode()
    context = {
        "form": form,
        "page": page,
        "counts": selectors.queue_counts(user=user),
        "querystring": querystring,
        "saved_views": queue_tools.saved_views_for(user=user),
        "saved_view_form": SavedViewForm(initial={"query": querystring}),
        "bulk_form": BulkActionForm(
            initial={"next": querystring}, engineers=queue_tools.assignable_engineers(user=user)
        ),
    }
    return render(request, "tickets/queue.html", context)


def _queue_url(querystring: str) -> str:
    # Re-encoded, so whatever was posted can only ever become the queue's own query string.
    query = QueryDict(querystring).urlencode()
    return reverse("tickets:queue") + (f"?{query}" if query else "")


@require_POST
@staff_required
def queue_bulk(request: HttpRequest) -> HttpResponse:
    """One action on the ticked tickets, each through the single action's service; then back to the queue."""
    user = request.user
    form = BulkActionForm(request.POST, engineers=queue_tools.assignable_engineers(user=user))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_queue_url(form.data.get("next", "")))
    data = form.cleaned_data
    try:
        result = queue_tools.tickets_bulk_apply(actor=user, ticket_ids=data["tickets"], **data["change"])
    except TicketError as error:
        messages.error(request, str(error))
    else:
        if result.changed:
            numbers = ", ".join(f"#{pk}" for pk in result.changed)
            noun = "ticket" if len(result.changed) == 1 else "tickets"
            messages.success(request, f"Updated {len(result.changed)} {noun}: {numbers}.")
        for pk, reason in result.refused:
            messages.warning(request, f"#{pk} was not changed: {reason}")
        if result.not_found:
            messages.warning(request, f"{result.not_found} of the ticked tickets could not be found.")
    return redirect(_queue_url(data["next"]))


@require_POST
@staff_required
def saved_view_create(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the view a name of up to 60 characters.")
        return redirect("tickets:queue")
    # Saved without its page cursor (a view opens at its first page) and without the empty fields.
    query = QueryDict(mutable=True)
    for key, values in QueryDict(form.cleaned_data["query"]).lists():
        if key != "after" and any(values):
            query.setlist(key, values)
    try:
        view = queue_tools.saved_view_save(
            owner=request.user, name=form.cleaned_data["name"], query=query.urlencode()
        )
    except TicketError as error:
        messages.error(request, str(error))
        return redirect("tickets:queue")
    messages.success(request, f"Saved the view “{view.name}”.")
    return redirect(_queue_url(view.query))


@require_POST
@staff_required
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not queue_tools.saved_view_delete(owner=request.user, pk=pk):
        raise Http404("No such saved view.")
    messages.info(request, "View deleted.")
    return redirect("tickets:queue")


@admin_required
def admin_overview(request: HttpRequest) -> HttpResponse:
    return render(request, "tickets/admin_overview.html", selectors.admin_overview(user=request.user))


@require_POST
@staff_required
def ticket_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the AI for a grounded reply draft; it appears, editable, beside the ticket."""
    ticket = _ticket_for_staff(request, pk)
    try:
        rate_limit_hit(user=request.user, scope="ai")
    except RateLimited as error:
        return too_many_requests(request, error)
    try:
        draft = _domain_errors_to_messages(
            request, lambda: ticket_draft_reply(ticket=ticket, actor=request.user)
        )
    except AIUnavailable:
        messages.error(request, "The AI assistant is unavailable right now; please write the reply yourself.")
    else:
        if draft is not None and draft.refused:
            messages.info(request, "No similar past case was found; the draft says so.")
    return redirect(reverse("tickets:detail", args=[ticket.pk]) + "#ai-draft")


@require_POST
@staff_required
def ticket_draft_decide(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_for_staff(request, pk)
    form = DraftDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(reverse("tickets:detail", args=[ticket.pk]) + "#ai-draft")
    if form.cleaned_data["action"] == "send":
        body = form.cleaned_data["body"]
        if _domain_errors_to_messages(
            request, lambda: ticket_draft_send(ticket=ticket, actor=request.user, body=body)
        ):
            messages.success(request, "Reply sent.")
    elif _domain_errors_to_messages(
        request, lambda: ticket_draft_outcome(ticket=ticket, actor=request.user, outcome="discarded")
    ):
        messages.info(request, "Draft discarded.")
    return redirect("tickets:detail", pk=ticket.pk)
