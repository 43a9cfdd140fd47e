"""The labelled retrieval sets are well formed: every relevant id exists, and the held-out English set is its own
(no query shared with the labelled set the retriever is tuned on)."""
from chatbot.eval.retrieval import HELDOUT_SET, RETRIEVAL_SET, load_labelled
from indexer.config import REPO_ROOT
from indexer.kb.parser import parse_kb

IDS = set(parse_kb(REPO_ROOT / "kb").by_id())


def test_every_relevant_id_is_an_entry_of_the_knowledge_base():
    for path in (RETRIEVAL_SET, HELDOUT_SET):
        for q in load_labelled(path):
            assert q.relevant and q.relevant <= IDS, (path.name, q.query, q.relevant - IDS)


def test_the_held_out_set_is_english_chat_box_questions_of_its_own():
    held_out = load_labelled(HELDOUT_SET)
    assert len(held_out) >= 40 and {q.lang for q in held_out} == {"en"}
    assert {q.kind for q in held_out} == {"question", "description", "pasted_error", "long_context"}
    assert not {q.query for q in held_out} & {q.query for q in load_labelled(RETRIEVAL_SET)}
