"""Retrieval-augmented PyTorch interview chatbot: search, grounded answers, mock interviews."""
