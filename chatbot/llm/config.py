"""The chat model's settings: which model, which backend, how long an answer may be, where an inference server
is (on top of the indexer's, see indexer/config.py)."""
from __future__ import annotations

from dataclasses import dataclass

from indexer.config import Config, setting


@dataclass
class LLMConfig(Config):
    # "qwen-1.5b" / "qwen-0.5b" = the packaged Qwen2.5-Coder GGUF; or a local folder / hub id / .gguf path.
    # 1.5B by default: on eval-facts it states 0.77 of the key facts against 0.60 for 0.5B, with no false
    # claim and no degenerate answer left (README, "Answer quality"); 0.5B is the choice for slow machines.
    llm_model: str = setting("qwen-1.5b", "--model",
                             "LLM: qwen-0.5b, qwen-1.5b, a local folder, a .gguf file or a hub id")
    llm_backend: str = setting("auto", "--backend", "LLM backend: auto, llamacpp, transformers or none")
    max_new_tokens: int = setting(320, "--max-new-tokens", "generation length limit")
    # disk budget for saved llama.cpp prompt states (chatbot/llm/prefix_states.py); 0 turns them off
    # a 1.5B state is ~29 KB per prompt token (~17 MB per passage): 4 GB holds every answered question's
    # passage state (~2.3 GB) and then grading prompts; the warmer stops at 80 % of it
    state_cache_mb: int = setting(4096, "--state-cache-mb",
                                  "disk budget (MB) for saved prompt states of llama.cpp; 0 = off")
    # an OpenAI-compatible inference server (vLLM, llama.cpp's server, Ollama, TGI) for generation, e.g.
    # http://127.0.0.1:8000/v1; retrieval, refusals, citation checks and the extractive fallback stay in the app
    llm_url: str = setting("", "--llm-url", "generate on this OpenAI-compatible server, e.g. "
                                            "http://127.0.0.1:8000/v1 (env KBCHAT_LLM_URL)")
    # seconds the inference server may stay silent (first token, or between tokens)
    llm_timeout: int = setting(30, "--llm-timeout", "seconds the inference server may stay silent before the "
                                                    "answer falls back to extractive (env KBCHAT_LLM_TIMEOUT)")
    llm_parallel: int = setting(4)  # generations sent to the inference server at once (it batches them)
    llm_api_key: str = setting("")  # bearer token the inference server wants, if any

    @property
    def llm_enabled(self) -> bool:
        return self.llm_backend != "none"
