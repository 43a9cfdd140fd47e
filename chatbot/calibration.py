"""Every threshold and weight tuned on data, in one place, each with the data set and split it was fitted on
and the figure it gave. Code reads `NAME.value`; changing one means re-running the command in `fitted_on`.

Limits and sizes chosen by reasoning rather than fitted (prompt budgets, retry counts) stay beside their code.
This module imports nothing of the project: every layer may read it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Calibrated:
    value: float
    fitted_on: str  # the labelled data and split, and the command that measures it
    figure: str  # what the value gave there (and what the neighbours gave, where that explains the choice)


# --- rag: answers (citations, degenerate answers, code, refusal) ---------------------------------------------


# --- interview: grading ------------------------------------------------------------------------------------------
