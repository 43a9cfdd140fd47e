"""The entries' sentence vectors are kept beside the index: embedded once, read back after a restart, never
lost to a cut-off write or a read-only folder."""
from __future__ import annotations

import numpy as np

from indexer.index.sentences import SentenceVectors
from tests.fakes import HashEmbedder


class Counting(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def encode_queries(self, texts):
        self.asked += texts
        return super().encode_queries(texts)


def test_a_sentence_is_embedded_once_and_read_back_after_a_restart(tmp_path):
    embedder = Counting()
    first = SentenceVectors(tmp_path, embedder).encode(["梯度累积。", "反向传播。", "梯度累积。"])
    assert embedder.asked == ["梯度累积。", "反向传播。"]
    again = SentenceVectors(tmp_path, embedder)  # a new process: only the file
    assert np.allclose(again.encode(["反向传播。", "梯度累积。"]), first[[1, 0]])
    assert again.embedded == 0 and embedder.asked == ["梯度累积。", "反向传播。"]
    again.encode(["新的一句。"])
    assert embedder.asked[-1] == "新的一句。" and len(SentenceVectors(tmp_path, embedder).encode(["新的一句。"])) == 1


def test_a_record_cut_short_is_ignored_and_a_foreign_file_replaced(tmp_path):
    embedder = Counting()
    store = SentenceVectors(tmp_path, embedder)
    store.encode(["一。", "二。"])
    with open(store.path, "ab") as f:
        f.write(b"half a record")
    assert SentenceVectors(tmp_path, embedder).encode(["一。", "二。"]).shape[0] == 2 and len(embedder.asked) == 2
    store.path.write_bytes(b"not ours")
    assert SentenceVectors(tmp_path, embedder).encode(["一。"]).shape[0] == 1 and len(embedder.asked) == 3


def test_a_read_only_folder_keeps_the_vectors_in_memory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = SentenceVectors(blocker / "index", Counting())
    assert store.encode(["一。"]).shape[0] == 1 and store.encode(["一。"]).shape[0] == 1 and store.embedded == 1
