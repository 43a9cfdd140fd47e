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

    @property
    def has_answer(self) -> bool:
        return bool(self.answer.strip())


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
