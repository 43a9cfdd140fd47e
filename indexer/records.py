"""Typed records that flow from the parser through the index to the chatbot."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CodeBlock:
    language: str
    code: str


@dataclass
class Question:
    id: str  # stable citation id: "Q73", "E5"
    series: str
    number: int
    title: str
    answer: str  # Markdown answer text, code fences included; "" when title-only
    code_blocks: list[CodeBlock] = field(default_factory=list)
    source: str = ""  # file name inside the knowledge-base folder
    line: int = 0  # 1-based line of the heading (or list line)
    aliases: str = ""  # English title and keywords (kb/aliases.en.tsv)
    aliases_zh: str = ""  # Chinese synonyms and plain descriptions (kb/aliases.zh.tsv)
    supplement: bool = False  # the answer was written for the product (kb/supplement_*.md), not an original
    same_as: str = ""  # id of the twin question whose answer this one shares ("" = its own answer)
    corrections: list[str] = field(default_factory=list)  # why each kb/errata.toml fix was made to the answer
    addendum: str = ""  # text written for the product (kb/addenda_*.md), appended to `answer` under ADDENDUM_HEADING
    document: str = ""  # name of the added document it comes from ("" = the shipped knowledge base)
    passage: bool = False  # a stretch of an unstructured document rather than a question (its title is its start)

    @property
    def has_answer(self) -> bool:
        return bool(self.answer.strip())

    @property
    def plain_answer(self) -> str:
        """The answer without the addendum's heading: what graders, key points and the citation check read."""
        return f"{self.original_answer}\n\n{self.addendum}" if self.addendum else self.answer

    @property
    def original_answer(self) -> str:
        """The answer as the documents give it (errata applied), without the product's addendum."""
        return self.answer.split(ADDENDUM_HEADING, 1)[0].rstrip() if self.addendum else self.answer


# Where an original answer ends and the product's addition begins: shown to readers, and how the prompt and the
# Lookup tab tell the two apart.
ADDENDUM_HEADING = "#### 补充（本产品补写，非原文） / Addendum (written for this product, not in the original)"


@dataclass
class Chunk:
    chunk_id: str  # "<question id>#<n>"
    question_id: str
    text: str  # what is embedded and keyword-indexed
    source: str
    content_hash: str  # sha256 of the text (+ embedding settings) – unchanged chunks are never re-embedded


@dataclass
class Warning_:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"
