"""What the keyword index and the named-API list take from a query's code-like words."""
from __future__ import annotations

from chatbot.rag.named_apis import named_apis
from indexer.index.keyword import BM25Index, tokenize


def test_identifiers_are_kept_whole_and_split_into_parts():
    tokens = tokenize("model.load_state_dict(sd)")
    assert {"model.load_state_dict", "load_state_dict", "load", "state", "dict"} <= set(tokens)


def test_a_flag_with_its_value_is_one_token():
    # "False" alone is in most entries' code; `strict=False` is in the two that load weights loosely
    assert "strict=false" in tokenize("model.load_state_dict(sd, strict=False)")
    assert "batch_first=true" in tokenize("nn.LSTM(10, 20, batch_first = True)")
    assert not [t for t in tokenize("x = y == False; lr=0.1") if "=" in t]  # a comparison, a number: not flags


def test_a_flag_ranks_the_entry_that_sets_it_above_those_with_the_bare_words():
    index = BM25Index.from_texts([
        "model.load_state_dict(state, strict=False) keeps the matching weights",
        "param.requires_grad = False freezes a layer; strict rules apply",
        "drop_last=False keeps the last batch",
    ])
    scores = index.scores("strict=False")
    assert scores.argmax() == 0


def test_a_flag_names_an_api_like_a_function_does():
    assert named_apis("strict=False 是什么意思", {"strict"}) == {"strict"}
    assert named_apis("what does batch_first=True change", {"batch_first"}) == {"batch_first"}
