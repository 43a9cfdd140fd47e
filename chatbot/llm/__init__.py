"""Local chat LLMs: the registry (load_chat_model), packaged GGUFs, llama.cpp and transformers backends."""
