"""Hybrid retrieval on the shipped knowledge base, and the quality thresholds on the labelled set."""
import pytest

from chatbot.eval.retrieval import evaluate_retrieval, load_labelled
from chatbot.rag.errors import EmptyQueryError


def ids(hits):
    return [h.question.id for h in hits]


def test_chinese_query_finds_gradient_accumulation(retriever):
    assert ids(retriever.search("梯度累积怎么做", 5))[0] == "Q73"


def test_english_query_against_the_chinese_kb(retriever):
    assert ids(retriever.search("how do I accumulate gradients over several batches", 5))[0] == "Q73"


@pytest.mark.parametrize("identifier", ["load_state_dict", "zero_grad"])
def test_code_identifiers_match(retriever, identifier):
    hits = retriever.search(identifier, 5)
    assert any(identifier in (h.question.answer + h.question.aliases) for h in hits[:3])


def test_a_named_api_finds_the_entry_that_uses_it(retriever):
    # the dense model put the one entry using `vmap` (Q24, model ensembling) 47th; the keyword index first
    assert retriever.search("How do I use torch.func.vmap to compute per-sample gradients?")[0].question.id == "Q24"
    assert retriever.search("ReduceLROnPlateau")[0].question.id in {"Q10", "Q92"}
    # a flag is named too: before, neither entry that sets `strict=False` was in the top five
    assert {"Q100", "Q89"} == set(ids(retriever.search("strict=False", 2)))
    # a name most entries use says nothing about which one is meant
    assert retriever.search("如何实现梯度累积？ loss.backward()")[0].question.id == "Q73"


def test_results_are_unique_questions_best_first(retriever):
    hits = retriever.search("ResNet", 10)
    assert len(ids(hits)) == len(set(ids(hits)))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_answered_twin_ranks_above_title_only_twins(retriever):
    for query, answered, title_only in [("迁移学习", {"E18", "E19"}, {"Q17", "Q35", "Q45"}),
                                        ("ResNet是什么", {"Q74"}, {"Q50"})]:
        order = ids(retriever.search(query, 10))
        best_answered = min(order.index(q) for q in answered if q in order)
        assert all(order.index(q) > best_answered for q in title_only if q in order), order


def test_typing_an_id_opens_that_question(retriever):
    assert ids(retriever.search("Q27", 3))[0] == "Q27"
    assert ids(retriever.search("e5", 3))[0] == "E5"


def test_empty_query_is_an_error(retriever):
    with pytest.raises(EmptyQueryError):
        retriever.search("   ", 5)


# Queries of the kinds people paste into a chat box (errors, long context, descriptions, mixed languages),
# added with the supplement answers; reported as their own rows, not held to the thresholds below.
CHATBOX_KINDS = {"pasted_error", "long_context", "description", "mixed"}


def test_quality_thresholds_on_the_labelled_set(retriever):
    queries = [q for q in load_labelled() if q.kind not in CHATBOX_KINDS]
    metrics = evaluate_retrieval(retriever, queries)["metrics"]
    assert len(queries) >= 150
    for subset in ("all", "lang=zh", "lang=en"):
        assert metrics[subset]["hit@5"] >= 0.95, (subset, metrics[subset])
        assert metrics[subset]["hit@1"] >= 0.80, (subset, metrics[subset])


def test_a_pasted_error_is_also_searched_by_what_it_asks(retriever):
    # searched whole only, the entry on GPUs (same device for data and weights) came sixth: the traceback's shapes
    # and type names pulled the loss and autograd entries up; the reduced search (query_focus) brings it into five
    paste = ("RuntimeError: Input type (torch.FloatTensor) and weight type (torch.cuda.FloatTensor) should be the "
             "same or input should be a MKLDNN tensor and weight is a dense tensor")
    assert "Q12" in ids(retriever.search(paste, 5))
