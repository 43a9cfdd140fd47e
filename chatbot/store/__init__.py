"""The progress store: graded answers, review cards, interview sessions, conversations and answer feedback, per
profile, in one database behind one small interface (SQLAlchemy Core: SQLite by default, PostgreSQL through
KBCHAT_DATABASE_URL). It knows nothing of grading or scheduling: those live in chatbot/interview/."""
