"""The APIs a question asks about by name (`torch.func.vmap`, `ReduceLROnPlateau`), and which knowledge-base
entries use them. The dense model hardly tells API names apart (it put the one entry using `vmap` 47th for
"How do I use torch.func.vmap…"), so retrieval ranks the entries that use a named API as a third list, and
the answer takes KB code only from such an entry."""
from __future__ import annotations

import re
from collections.abc import Container

from indexer.records import Question
from indexer.text import FLAG_ARGUMENT, identifier_names

# Names too common to tell what a question is about ("PyTorch", `nn.Module`), and error classes, which name
# the symptom (a RuntimeError), not the API.
GENERIC_NAMES = frozenset("pytorch torch nn module tensor parameters forward model self cuda".split())
_SYMPTOM = re.compile(r"(error|warning|exception)$")
# In a longer question the names describe the situation ("a ResNet-50 to deploy on an ARM box", "five models:
# two ResNets, an EfficientNet…"), not what it asks. On the 430 labelled eval queries (facts, answers and
# retrieval sets), 100 characters kept the KB code of every expected entry and dropped it for the wrong
# entries of three short API questions (`torch.func.vmap` → the loss-functions entry, `AveragedModel`,
# `ReduceLROnPlateau`).
SHORT_QUESTION_CHARS = 100
# A name used by more entries than this tells retrieval little about which one is meant: `backward` (60 of 131
# entries) put E27 above Q73 for "如何实现梯度累积？ loss.backward()". The names that helped are used by 1–8
# (`vmap` 1, `ReduceLROnPlateau` 2, `load_state_dict` 8); on the labelled set any limit from 3 to 20 scored
# the same as none.
DISTINCTIVE_MAX_ENTRIES = 10
NAME = re.compile(r"[A-Za-z_]\w{2,}", re.ASCII)  # a code-like word of three characters or more


def named_apis(question: str, vocabulary: Container[str]) -> set[str]:
    """The API names (last part, lower case) a short question asks about that the knowledge base knows
    somewhere (`vocabulary`: the keyword index's tokens)."""
    if len(question) > SHORT_QUESTION_CHARS:
        return set()
    names = identifier_names(question) | {m.group(1).lower() for m in FLAG_ARGUMENT.finditer(question)}
    return {n for n in names
            if n not in GENERIC_NAMES and not _SYMPTOM.search(n) and n in vocabulary}


def entry_names(q: Question) -> frozenset[str]:
    """The code-like words an entry uses, lower case."""
    return code_names(f"{q.title}\n{q.plain_answer}")


def code_names(code: str) -> frozenset[str]:
    """The code-like words a code block uses, lower case."""
    return frozenset(w.lower() for w in NAME.findall(code))


def code_uses_any(code: str, names: set[str]) -> bool:
    """Whether a code block uses one of `names` in any of its spellings: underscores aside, and either name
    the start of the other (six letters at least), so the functional form counts for the module
    (`F.cross_entropy` for `CrossEntropyLoss`). Over the 548 questions of the eval sets, requiring the exact
    name also dropped the code of Q26, Q22 and Q20 where it answered the question; with these spellings the
    block rule (chatbot/rag/kbcode.py) changes 9 answers' code: 7 lose or swap a block beside the question (Q14's
    NaN script for torch.compile, Q18's torch.compile code for trace against script, Q11's backprop code for
    zero_grad, Q59's and Q17's second blocks, Q48's for aux_logits, Q89's second block for E19's), and 2 lose
    one on topic (Q34's attention code for "why divide by sqrt(d_k)", Q68's autocast code for BCELoss's
    autocast error) because the block does not spell the name the question uses."""
    wanted = {n.replace("_", "") for n in names}
    for word in (w.replace("_", "") for w in code_names(code)):
        if any(word.startswith(n) or len(word) >= 6 and n.startswith(word) for n in wanted):
            return True
    return False


def uses_any(words: frozenset[str], names: set[str]) -> bool:
    """Whether an entry's words include one of `names`, also as the start of a longer one (`BatchNorm` →
    `BatchNorm2d`)."""
    return any(w.startswith(n) for w in words for n in names)
