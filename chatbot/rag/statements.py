"""Does a sentence of an answer agree with the passages the model was given? Asked of the model itself as a
yes/no question, read from the first reply token's log-odds (nothing is generated), with the passage sentence
nearest to the statement set beside it: without that evidence the 1.5B model said "yes" to wrong statements
(shared/notes/statement_check_probe.md; the same finding as the interview's statement check).

The system message is the one the answer was generated with (rules + its first passage), so its saved state
serves every check; each statement costs only its own ~60 tokens, and brings its evidence (from any passage)
with it."""
from __future__ import annotations

from collections.abc import Sequence

from chatbot.llm.base import ChatModel, Message
from chatbot.rag.citations import CitationChecker
from chatbot.rag.prompts import prompt_layout, system_message
from chatbot.rag.safety import neutralise
from indexer.records import Question

ASK = ('Statement: "{statement}"\nWhat the material says on this: "{evidence}"\n'
       "Does the statement agree with the material in <context>? Answer yes or no.")


class StatementJudge:
    def __init__(self, model: ChatModel, checker: CitationChecker, evidence_sentences: int = 1) -> None:
        # One passage sentence as evidence. Two were measured (`python -m chatbot.eval.sentence_check
        # --evidence 2`) and not kept: at the kept thresholds false statements passed as agreeing 0.11 -> 0.20,
        # true ones unchanged (0.91).
        self.model = model
        self.checker = checker
        self.evidence_sentences = evidence_sentences

    def messages(self, statement: str, evidence: str, passages: Sequence[Question]) -> list[Message]:
        return [system_message(prompt_layout(passages)[0]),
                {"role": "user", "content": ASK.format(statement=neutralise(statement), evidence=neutralise(evidence))}]

    def agreement(self, statements: list[str], passages: Sequence[Question]) -> list[float]:
        """Log-odds that each statement agrees with the passages (yes over no)."""
        if not statements:
            return []
        evidence = self.checker.nearest(statements, [q.id for q in passages], self.evidence_sentences)
        return self.model.yes_logodds([self.messages(s, e, passages) for s, e in zip(statements, evidence)])
