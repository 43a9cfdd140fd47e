"""What an interview answer is compared with: the reference answer's prose, or all of it when it is code only."""
from __future__ import annotations

from indexer.records import Question
from indexer.text import answer_blocks, is_code_block

# Not calibration: a rule of shape, not fitted; prose shorter than this says too little to compare an answer with
PROSE_CHARS = 20


def reference_text(q: Question) -> str:
    """The reference's prose (code blocks left out), or the title and the whole answer when it has too little."""
    prose = "\n".join(b for b in answer_blocks(q.plain_answer) if not is_code_block(b)).strip()
    return prose if len(prose) >= PROSE_CHARS else f"{q.title}\n{q.plain_answer.strip()}"
