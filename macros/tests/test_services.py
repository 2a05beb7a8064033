import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from macros.models import Macro, MacroUse
from macros.services import macro_apply, macro_create, macro_update
from tickets.errors import ActionNotAllowed, InvalidTransition
from tickets.models import Comment, TicketEvent

pytestmark = pytest.mark.django_db


def test_it_applies_the_reply_and_the_field_changes_through_the_ticket_services(
    ticket_a, macro_a, engineer_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        use = macro_apply(macro=macro_a, ticket=ticket_a, actor=engineer_a)
    ticket_a.refresh_from_db()
    comment = Comment.objects.get(ticket=ticket_a)
    assert comment.body == f"Hi Alice, ticket #{ticket_a.pk} at Alder & Finch LLP is fixed. Erin"
    assert not comment.is_internal and comment.author == engineer_a
    assert (ticket_a.state, ticket_a.category.slug, ticket_a.priority) == (
        "waiting_on_customer",
        "printers",
        "high",
    )
    assert ticket_a.tags == ["hardware", "printer"]
    kinds = list(ticket_a.events.exclude(kind=TicketEvent.Kind.CREATED).values_list("kind", "field", "actor"))
    assert kinds == [
        ("field_changed", "category", engineer_a.pk),
        ("field_changed", "priority", engineer_a.pk),
        ("field_changed", "tags", engineer_a.pk),
        ("commented", "", engineer_a.pk),
        ("transition", "state", engineer_a.pk),
    ]
    assert (use.macro, use.ticket, use.used_by, use.comment, use.site_id) == (
        macro_a,
        ticket_a,
        engineer_a,
        comment,
        ticket_a.site_id,
    )
    assert callbacks  # the reply's notification is queued for after the commit, as for a reply by hand


def test_it_posts_an_internal_note_and_keeps_it_out_of_the_resolution(ticket_a, site_a, engineer_a):
    macro = Macro.objects.create(
        site=site_a, name="Resolve quietly", body="Spooler again.", is_internal=True, set_state="resolved"
    )
    macro_apply(macro=macro, ticket=ticket_a, actor=engineer_a)
    ticket_a.refresh_from_db()
    assert Comment.objects.get(ticket=ticket_a).is_internal
    assert (ticket_a.state, ticket_a.resolution) == ("resolved", "Resolve quietly")


def test_it_rolls_everything_back_when_a_step_is_refused(make_new_ticket, macro_a, engineer_a):
    ticket = make_new_ticket()  # new: it cannot go to waiting on customer
    with pytest.raises(InvalidTransition):
        macro_apply(macro=macro_a, ticket=ticket, actor=engineer_a)
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.tags, ticket.category) == ("normal", [], None)
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert not MacroUse.objects.exists()


def test_it_refuses_an_engineer_of_another_site_and_another_sites_macro(
    ticket_a, macro_a, macro_b, engineer_b, engineer_a, admin_user
):
    with pytest.raises(ActionNotAllowed):
        macro_apply(macro=macro_a, ticket=ticket_a, actor=engineer_b)
    with pytest.raises(ActionNotAllowed, match="another site"):
        macro_apply(macro=macro_b, ticket=ticket_a, actor=admin_user)
    assert not MacroUse.objects.exists()


def test_it_refuses_a_customer_even_the_requester(ticket_a, global_macro, customer_a):
    with pytest.raises(ActionNotAllowed):
        macro_apply(macro=global_macro, ticket=ticket_a, actor=customer_a)
    assert not Comment.objects.exists()


def test_it_lets_any_covering_engineer_apply_a_global_macro(ticket_a, global_macro, engineer_a):
    use = macro_apply(macro=global_macro, ticket=ticket_a, actor=engineer_a)
    assert use.comment.body == "Could you send a screenshot?"


def test_it_writes_site_macros_for_staff_of_the_site_and_global_ones_for_admins(
    site_a, site_b, engineer_a, admin_user
):
    macro = macro_create(author=engineer_a, site=site_a, name=" Hello ", body="Hi {requester_first_name}")
    assert (macro.name, macro.site, macro.created_by) == ("Hello", site_a, engineer_a)
    with pytest.raises(PermissionDenied):
        macro_create(author=engineer_a, site=site_b, name="Other site", body="Hi")
    with pytest.raises(PermissionDenied):
        macro_create(author=engineer_a, site=None, name="Global", body="Hi")
    assert macro_create(author=admin_user, site=None, name="Global", body="Hi").site is None


def test_it_refuses_an_unknown_placeholder_with_a_sentence(site_a, engineer_a, macro_a):
    with pytest.raises(ValidationError) as error:
        macro_create(author=engineer_a, site=site_a, name="Bad", body="Hi {first_name}")
    assert "Unknown placeholder {first_name}: use one of {requester_first_name}" in str(error.value)
    with pytest.raises(ValidationError):
        macro_update(macro=macro_a, actor=engineer_a, body="Dear {requester.password}")


def test_it_edits_global_macros_for_admins_only(global_macro, engineer_a, admin_user):
    with pytest.raises(PermissionDenied):
        macro_update(macro=global_macro, actor=engineer_a, name="Mine now")
    macro_update(macro=global_macro, actor=admin_user, name="More detail please", add_tags=["Info "])
    global_macro.refresh_from_db()
    assert (global_macro.name, global_macro.add_tags) == ("More detail please", ["info"])


def test_it_refuses_a_macro_that_does_nothing(site_a, engineer_a):
    with pytest.raises(ValidationError, match="reply text or at least one field change"):
        macro_create(author=engineer_a, site=site_a, name="Empty")
