"""How much of a candidate's answer the interview reads."""
from __future__ import annotations

# An answer longer than this is not graded whole: the web tab asks for a shorter one, the command line grades its
# beginning and says so. Room for a thorough answer with a code example; the judge reads less still
# (judge.ANSWER_CHARS), the embedding grader all of it.
MAX_ANSWER_CHARS = 4000
