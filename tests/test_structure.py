"""The shape of the code: no kernel takes more than 14 arguments (arguments travel in bundles,
the NamedTuples of each kernel module), private helpers and CUDA kernels included."""

import ast
from pathlib import Path

import wordvec.kernels

MAX_ARGS = 14
KERNELS = Path(wordvec.kernels.__file__).parent
JIT = {"njit", "jit"}  # njit, numba.njit, jit, cuda.jit, numba.cuda.jit; called or not


def jitted(node: ast.FunctionDef) -> bool:
    for d in node.decorator_list:
        f = d.func if isinstance(d, ast.Call) else d
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        if name in JIT:
            return True
    return False


def n_args(f: ast.FunctionDef) -> int:
    a = f.args
    return len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + bool(a.vararg) + bool(a.kwarg)


def kernel_functions() -> list[tuple[str, str, int]]:
    """(module, function, number of parameters) of every jitted function in ``wordvec.kernels``."""
    out = []
    for path in sorted(KERNELS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and jitted(node):
                out.append((path.name, node.name, n_args(node)))
    return out


def test_the_walk_finds_the_kernels():
    found = {(m, f) for m, f, _ in kernel_functions()}
    for known in [("train.py", "train_sg"), ("train.py", "_next"), ("cooccur.py", "count_range"),
                  ("glove.py", "train_range"), ("phrases.py", "apply_bytes")]:  # fmt: skip
        assert known in found
    assert any(m == "cuda_train.py" for m, _ in found)  # the @cuda.jit kernels


def test_no_kernel_takes_more_than_14_arguments():
    over = [f"{m}: {f} takes {n}" for m, f, n in kernel_functions() if n > MAX_ARGS]
    assert not over, f"more than {MAX_ARGS} arguments (pass bundles instead): {over}"
