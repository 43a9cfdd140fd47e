"""Choosing what to practise: questions due for review, new ones, the weakest topics first, or a random set."""
from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from typing import Literal, get_args

from chatbot.store.records import CardRecord
from indexer.records import Question

Mode = Literal["due", "new", "weak", "random"]
MODES: tuple[str, ...] = get_args(Mode)


def default_mode(cards: Sequence[CardRecord], now: datetime) -> Mode:
    """Review when anything is due, else a random set (as before progress was kept)."""
    return "due" if any(c.due <= now for c in cards) else "random"


def choose(pool: Sequence[Question], key_of: dict[str, str], cards: Sequence[CardRecord], mode: str, n: int,
           now: datetime, rng: random.Random) -> list[Question]:
    """Up to `n` questions of `pool`, at most one per card (twins are one):

    - due: cards due by `now`, the longest overdue first;
    - new: questions never answered, in random order;
    - weak: answered ones, the topic with the lowest mean latest score first, and in it the lowest score first;
    - random: any, in random order."""
    if mode not in MODES:
        raise ValueError(f"unknown practice mode {mode!r}: choose one of {', '.join(MODES)}")
    # grouped by the card keys of the whole knowledge base (`key_of`, from twins.card_keys), so a pool of one
    # series or topic still counts E18 as Q17's card
    groups: dict[str, list[Question]] = {}
    for q in pool:
        groups.setdefault(key_of.get(q.id, q.id), []).append(q)
    by_card = {c.card_key: c for c in cards}
    keys = list(groups)
    if mode == "due":
        keys = sorted((k for k in keys if k in by_card and by_card[k].due <= now), key=lambda k: (by_card[k].due, k))
    elif mode == "new":
        keys = [k for k in keys if k not in by_card]
        rng.shuffle(keys)
    elif mode == "weak":
        seen = [k for k in keys if k in by_card]
        per_topic: dict[str, list[float]] = {}
        for c in cards:
            per_topic.setdefault(c.topic, []).append(c.last_score)
        topic_mean = {t: sum(v) / len(v) for t, v in per_topic.items()}
        keys = sorted(seen, key=lambda k: (topic_mean.get(by_card[k].topic, 10.0), by_card[k].last_score, k))
    else:
        rng.shuffle(keys)
    return [_one_of(groups[k], by_card.get(k), rng) for k in keys[:n]]


def _one_of(group: list[Question], card: CardRecord | None, rng: random.Random) -> Question:
    # a card answered before is asked by its key's question when that is in the pool, so it reads the same
    if card is not None:
        for q in group:
            if q.id == card.card_key:
                return q
    return rng.choice(group)

