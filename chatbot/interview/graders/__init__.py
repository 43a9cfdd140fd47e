"""Graders of interview answers, one interface (base.Grader) and two ways to grade: by embeddings (embedding.py)
and by the LLM judge (judge.py). chatbot/interview/grading.py chooses one."""
