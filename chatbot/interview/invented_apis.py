"""PyTorch names an answer uses that do not exist in the installed PyTorch (`torch.build(config)`,
`model.fit()`, `torch.load_model()`): a fluent wrong interview answer often rests on one, and whether a name
exists is a fact the grader can check exactly instead of asking a small model about it."""
from __future__ import annotations

import importlib
import re
from functools import lru_cache

# module aliases as answers write them, and the classes whose methods `model.…(` and `optimizer.…(` call
_MODULES = {"torch": "torch", "nn": "torch.nn", "F": "torch.nn.functional", "optim": "torch.optim"}
_INSTANCES = {"model": ("torch.nn", "Module"), "optimizer": ("torch.optim", "Optimizer")}
# methods of other frameworks' models and optimizers (Keras, scikit-learn, TensorFlow) that answers carry
# over; another name called on `model` may be the candidate's own layer (`model.fc1(x)`)
_FOREIGN_METHODS = frozenset("fit predict evaluate summary save load save_weights load_weights fit_generator "
                             "train_on_batch predict_proba add minimize apply_gradients compute_gradients".split())
# a TorchScript module does have save(): `model = torch.jit.script(model); model.save("m.pt")` is right
_SCRIPTED = re.compile(r"torch\.jit|torchscript|\.script\(|\.trace\(", re.I)
_SCRIPTED_METHODS = frozenset({"save", "load"})
_USE = re.compile(r"(?<![\w.])(torch|nn|F|optim|model|optimizer)((?:\.[A-Za-z_]\w*)+)(\s*\()?", re.ASCII)


@lru_cache(maxsize=1024)
def _module_path_exists(path: str) -> bool:
    """Whether `torch.a.b` resolves to an attribute or a submodule of the installed torch."""
    parts = path.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], 1):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:  # a submodule `import torch` does not load (torch.distributed.fsdp)
            obj = importlib.import_module(".".join(parts[:i + 1]))
        except ImportError:
            return False
        except Exception:  # it exists but fails to import here: not the candidate's mistake
            return True
    return True


@lru_cache(maxsize=1024)
def _method_exists(root: str, name: str) -> bool:
    module, cls = _INSTANCES[root]
    return hasattr(getattr(importlib.import_module(module), cls), name)


def invented_apis(text: str) -> list[str]:
    """The PyTorch names in `text` that do not exist, as written (`torch.build`, `model.fit()`), each once.
    On `model`/`optimizer` only other frameworks' methods are checked, when called (`model.fit(`)."""
    found: list[str] = []
    foreign = _FOREIGN_METHODS - _SCRIPTED_METHODS if _SCRIPTED.search(text) else _FOREIGN_METHODS
    for m in _USE.finditer(text):
        root, chain, called = m.group(1), m.group(2), bool(m.group(3))
        if root in _INSTANCES:
            name = chain.split(".")[1]
            if called and name in foreign and chain.count(".") == 1 and not _method_exists(root, name):
                found.append(f"{root}.{name}()")
        elif not _module_path_exists(_MODULES[root] + chain):
            found.append(m.group(1) + chain + ("()" if called else ""))
    return list(dict.fromkeys(found))


def torch_version() -> str:
    """The installed PyTorch's version, as the checks above used it (`2.13.0`, no build tag)."""
    return importlib.import_module("torch").__version__.split("+")[0]
