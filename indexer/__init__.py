"""Turns the Markdown knowledge base into a persisted hybrid (dense + keyword) index."""
