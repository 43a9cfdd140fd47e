"""A misspelt English word is searched as the indexed word one edit away; words the index knows, short words,
identifiers and words with no near neighbour are left as typed."""
from __future__ import annotations

from indexer.index.keyword import BM25Index

INDEX = BM25Index.from_texts([
    "Transformer model: self-attention and positional encoding",
    "distributed training with DistributedDataParallel",
    "distributed data parallel on two GPUs",
    "gradient accumulation over micro-batches",
])


def test_a_word_one_edit_from_an_indexed_word_is_respelt():
    assert INDEX.respelled("transfomer model") == "transformer model"  # a letter dropped
    assert INDEX.respelled("distrubuted training") == "distributed training"  # a letter changed
    assert INDEX.respelled("gradeint accumulation") == "gradient accumulation"  # two letters swapped
    assert INDEX.respelled("modle") == "model"


def test_known_short_and_unrelated_words_and_identifiers_are_left_alone():
    for query in ("transformer model", "a pizza recipe", "a modl", "optimzer.zero_grad()",
                  "DistributedDatParallel", "梯度累积"):
        assert INDEX.respelled(query) == query


def test_the_most_common_of_several_near_words_wins():
    index = BM25Index.from_texts(["tensor shape", "tensor dtype", "tenser"])
    assert index.respelled("tensar") == "tensor"
