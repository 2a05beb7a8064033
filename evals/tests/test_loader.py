import json

import pytest

from evals.datasets.loader import DatasetError, load_dataset


def write_dataset(folder, documents, queries, meta=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.json").write_text(json.dumps(meta or {"name": "tiny", "categories": ["network"]}))
    for name, rows in (("documents.jsonl", documents), ("queries.jsonl", queries)):
        (folder / name).write_text(
            "\n".join(row if isinstance(row, str) else json.dumps(row) for row in rows) + "\n"
        )
    return folder


DOC = {
    "id": "d1",
    "site": "s1",
    "kind": "ticket",
    "title": "VPN down",
    "body": "Cannot connect",
    "category": "network",
}
QUERY = {"id": "q1", "site": "s1", "text": "remote access broken", "category": "network", "relevant": ["d1"]}


def test_it_reports_a_malformed_line_with_its_file_and_line_number(tmp_path):
    folder = write_dataset(tmp_path / "ds", [DOC, "", '{"id": "d2", "site": "s1",'], [QUERY])
    with pytest.raises(DatasetError, match=r"documents\.jsonl:3: invalid JSON"):
        load_dataset(folder)


def test_it_reports_a_missing_required_field_with_its_line_number(tmp_path):
    folder = write_dataset(tmp_path / "ds", [DOC], [QUERY, {"id": "q2", "site": "s1"}])
    with pytest.raises(DatasetError, match=r"queries\.jsonl:2: missing required field 'text'"):
        load_dataset(folder)


def test_it_rejects_unknown_relevant_ids_and_relevant_documents_of_another_site(tmp_path):
    folder = write_dataset(tmp_path / "a", [DOC], [{**QUERY, "relevant": ["nope"]}])
    with pytest.raises(DatasetError, match=r"queries\.jsonl:1: relevant document 'nope'"):
        load_dataset(folder)
    other = write_dataset(tmp_path / "b", [DOC], [{**QUERY, "site": "s2"}])
    with pytest.raises(DatasetError, match="belongs to another site"):
        load_dataset(other)


def test_it_rejects_a_bad_kind_and_a_non_object_line(tmp_path):
    with pytest.raises(DatasetError, match=r"documents\.jsonl:1: field 'kind'"):
        load_dataset(write_dataset(tmp_path / "a", [{**DOC, "kind": "email"}], [QUERY]))
    with pytest.raises(DatasetError, match=r"queries\.jsonl:1: expected a JSON object"):
        load_dataset(write_dataset(tmp_path / "b", [DOC], ["[1, 2]"]))


def test_it_ignores_unknown_fields_and_keeps_missing_gold_fields_as_none(tmp_path):
    folder = write_dataset(
        tmp_path / "ds",
        [{**DOC, "owner": "someone", "tags": ["x"]}],
        [{"id": "q1", "site": "s1", "text": "hello", "mood": "grumpy"}],
        meta={"name": "tiny", "categories": [{"slug": "network", "name": "Network"}], "extra": 1},
    )
    dataset = load_dataset(folder)
    query = dataset.queries[0]
    assert (query.category, query.relevant, query.facts, query.answerable) == (None, None, None, None)
    assert dataset.documents[0].title == "VPN down"
    assert dataset.categories == ["network"]
    assert dataset.sites == ["s1"]


def test_it_loads_the_bundled_fixture_with_enough_queries_sites_and_unanswerables():
    dataset = load_dataset("fixtures/evals/it-helpdesk")
    unanswerable = [q for q in dataset.queries if q.answerable is False]
    assert len(dataset.queries) >= 300
    assert len(dataset.sites) >= 4
    assert len(unanswerable) >= 40
    assert all(not q.relevant for q in unanswerable)
    assert all(q.relevant and q.facts and q.category for q in dataset.queries if q.answerable)


def test_it_limits_queries_per_site_and_keeps_every_document(tmp_path):
    folder = write_dataset(
        tmp_path / "ds",
        [DOC, {**DOC, "id": "d2", "site": "s2"}],
        [QUERY, {**QUERY, "id": "q2"}, {**QUERY, "id": "q3", "site": "s2", "relevant": ["d2"]}],
    )
    limited = load_dataset(folder).limited(1)
    assert [q.id for q in limited.queries] == ["q1", "q3"]
    assert len(limited.documents) == 2


def test_it_selects_one_split_and_refuses_an_unknown_one(tmp_path):
    folder = write_dataset(
        tmp_path / "ds", [DOC], [{**QUERY, "split": "dev"}, {**QUERY, "id": "q2", "split": "test"}]
    )
    dataset = load_dataset(folder)
    assert [q.id for q in dataset.only_split("test").queries] == ["q2"]
    assert len(dataset.only_split(None).queries) == 2
    with pytest.raises(DatasetError, match="no query has split 'holdout'"):
        dataset.only_split("holdout")


def test_it_loads_follow_up_history_and_refuses_a_malformed_turn(tmp_path):
    follow_up = {
        **QUERY,
        "id": "q2",
        "text": "still broken",
        "history": [
            {"role": "customer", "text": "VPN down"},
            {"role": "assistant", "text": "Restarted the VPN client."},
        ],
    }
    dataset = load_dataset(write_dataset(tmp_path / "ok", [DOC], [QUERY, follow_up]))
    query = next(q for q in dataset.queries if q.id == "q2")
    assert query.said_before == ["Restarted the VPN client."]
    assert query.conversation_text == "VPN down\nstill broken"
    bad = {**follow_up, "history": [{"role": "robot", "text": "hi"}]}
    with pytest.raises(DatasetError, match=r"queries\.jsonl:1.*role"):
        load_dataset(write_dataset(tmp_path / "bad", [DOC], [bad]))


def test_it_turns_every_past_ticket_into_a_chat_with_its_label(tmp_path):
    article = {**DOC, "id": "d2", "kind": "article", "title": "VPN guide"}
    dataset = load_dataset(write_dataset(tmp_path / "t", [DOC, article], [QUERY])).tickets_as_chats()
    chat, kept = dataset.documents
    assert (chat.kind, chat.body, chat.category) == ("transcript", "Customer: Cannot connect", "network")
    assert kept.kind == "article"
    assert dataset.name == "tiny-as-chats"
