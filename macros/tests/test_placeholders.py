from macros.placeholders import fill, unknown_placeholders


def test_it_lists_unknown_placeholders_once_each_in_order():
    text = "Hi {requester_first_name} {oops} {ticket.requester.password} {oops} {}"
    assert unknown_placeholders(text) == ["oops", "ticket.requester.password", ""]


def test_it_fills_known_names_and_leaves_anything_else_as_typed():
    values = {"ticket_id": "7"}
    assert fill("Ticket #{ticket_id} {unknown} {0} {", values) == "Ticket #7 {unknown} {0} {"
