"""Session-wide embedding-model fixtures (one loaded model per test session)."""
