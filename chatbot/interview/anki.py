"""Questions as an Anki deck (.apkg, with genanki), so practice can go on in Anki on a phone: the question on the
front; the reference answer (code kept as code) and its `[Q..]` id on the back."""
from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from pathlib import Path

import genanki

from chatbot.interview.topics import topic_name, topic_of
from indexer.records import Question

# Fixed ids: re-importing a newer export updates the same note type and deck in Anki instead of adding copies.
MODEL_ID = 1_607_392_319
DECK_ID = 2_059_400_110
FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.S)

MODEL = genanki.Model(
    MODEL_ID, "PyTorch interview question",
    fields=[{"name": "Id"}, {"name": "Question"}, {"name": "Answer"}, {"name": "Topic"}],
    templates=[{"name": "Card 1", "qfmt": "<div class=q>{{Question}}</div><div class=id>{{Topic}}</div>",
                "afmt": "{{FrontSide}}<hr id=answer>{{Answer}}<p class=id>[{{Id}}]</p>"}],
    css="pre { text-align: left; background: #f4f4f4; padding: .5em; overflow-x: auto; } .id { color: #888; }")


def answer_html(markdown: str) -> str:
    """The reference answer as HTML: everything escaped, code blocks in <pre><code>, line breaks kept."""
    parts, last = [], 0
    for m in FENCE.finditer(markdown):
        parts.append(html.escape(markdown[last:m.start()]).replace("\n", "<br>"))
        parts.append(f"<pre><code>{html.escape(m.group(1))}</code></pre>")
        last = m.end()
    parts.append(html.escape(markdown[last:]).replace("\n", "<br>"))
    return "".join(parts)


def _guid(qid: str) -> str:
    return genanki.guid_for("pytorch-kb-chat", qid)


def build_deck(questions: Iterable[Question], name: str = "PyTorch interview") -> genanki.Deck:
    deck = genanki.Deck(DECK_ID + int(hashlib.sha1(name.encode()).hexdigest()[:6], 16), name)
    for q in questions:
        if not q.has_answer:
            continue
        topic = topic_of(q)
        deck.add_note(genanki.Note(model=MODEL, guid=_guid(q.id), tags=[topic],
                                   fields=[q.id, html.escape(q.title), answer_html(q.answer.strip()),
                                           html.escape(f"{topic_name(topic, 'zh')} / {topic_name(topic, 'en')}")]))
    return deck


def write_deck(questions: Iterable[Question], path: Path, name: str = "PyTorch interview") -> int:
    """Writes the .apkg; returns the number of notes."""
    deck = build_deck(questions, name)
    genanki.Package(deck).write_to_file(str(path))
    return len(deck.notes)
