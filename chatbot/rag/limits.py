"""How much of a user's text the answer pipeline reads."""
from __future__ import annotations

# A question (to answer) or a query (to search) longer than this is cut to its beginning, and the answer says so;
# a pasted error message with its traceback fits easily. Search and answer read the same length, so an answer
# never rests on a search for more text than it was written from.
MAX_QUESTION_CHARS = 2000
