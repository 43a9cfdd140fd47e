"""Session-wide LLM fixtures (one loaded model per test session)."""
