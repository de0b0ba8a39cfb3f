"""The shape of the code: imports flow down the layers of docs/architecture.md with no cycle, a
dozen modules at most at the top, none over 600 lines, few formatting exceptions, one place that
picks the backend, ``import wordvec`` light; and no kernel takes more than 14 arguments
(arguments travel in bundles, the NamedTuples of each kernel module), private helpers and CUDA
kernels included."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import wordvec
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
    for known in [
        ("train.py", "train_sg"),
        ("train.py", "_next"),
        ("cooccur.py", "count_range"),
        ("glove.py", "train_range"),
        ("phrases.py", "apply_bytes"),
    ]:
        assert known in found
    assert any(m == "cuda_train.py" for m, _ in found)  # the @cuda.jit kernels


def test_no_kernel_takes_more_than_14_arguments():
    over = [f"{m}: {f} takes {n}" for m, f, n in kernel_functions() if n > MAX_ARGS]
    assert not over, f"more than {MAX_ARGS} arguments (pass bundles instead): {over}"


# -- the house: layers, cycles, sizes ------------------------------------------------------------
SRC = Path(wordvec.__file__).parent
# folders from the bottom up: a module imports its own folder or one below it, never above
LAYERS = ["kernels", "formats", "corpus", "core", "vectors", "word2vec", "subword", "count", "viz"]
# the faces over the layers, bottom up: the public modules, the package's public API (which
# the explorer and the command line use), the explorer, the command line
FACES = ["io", "ann", "gensim", "wordvec", "web", "commands", "cli"]
ORDER = {name: i for i, name in enumerate(LAYERS + FACES)}
MAX_TOP_MODULES = 12
MAX_LINES = 600
MAX_FMT_SKIP = 20


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    out = {}
    for p in SRC.rglob("*.py"):
        parts = ("wordvec", *p.relative_to(SRC).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


def imports(path: Path, module: str, known: dict) -> set[str]:
    """The wordvec modules ``module`` imports anywhere in its file (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for a in node.names:
                full = f"{target}.{a.name}"
                out.add(full if full in known else target)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m in known and m != module}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "wordvec"


def test_no_import_cycles():
    known = modules()
    graph = {m: imports(p, m, known) for m, p in known.items()}

    def reaches(a, b):
        seen, todo = set(), [a]
        while todo:
            for n in graph[todo.pop()]:
                if n == b:
                    return True
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        return False

    assert [m for m in graph if reaches(m, m)] == []


def test_imports_flow_down_the_layers():
    known = modules()
    assert {layer(m) for m in known} <= set(ORDER), "a folder or module with no layer"
    up = [
        f"{m} -> {t}"
        for m, p in known.items()
        for t in imports(p, m, known)
        if ORDER[layer(t)] > ORDER[layer(m)]
    ]
    assert up == [], "imports climbing to a higher layer"


def test_at_most_a_dozen_modules_at_the_top_level():
    top = sorted(p.name for p in SRC.glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top


def test_no_module_over_600_lines():
    long = {
        str(p.relative_to(SRC)): n
        for p in SRC.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_formatting_exceptions_are_few():
    skips = sum(p.read_text(encoding="utf-8").count("# fmt: skip") for p in SRC.rglob("*.py"))
    assert skips <= MAX_FMT_SKIP


def test_the_estimator_never_branches_on_the_backend():
    """``core.executors.backend`` alone looks at ``device`` and ``cluster``: no comparison or
    condition in word2vec/ names them."""
    found = []
    for path in (SRC / "word2vec").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            tests = [node.test] if isinstance(node, ast.If | ast.IfExp | ast.While) else []
            tests += [node] if isinstance(node, ast.Compare) else []
            for t in tests:
                names = {n.attr for n in ast.walk(t) if isinstance(n, ast.Attribute)}
                names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
                if names & {"device", "cluster", "_shards"}:
                    found.append(f"{path.name}:{node.lineno}")
    assert found == []


def test_import_wordvec_loads_no_numba_and_no_extras():
    code = (
        "import sys, wordvec, wordvec.core.schedule, wordvec.core.executors.backend, "
        "wordvec.word2vec.params, wordvec.kernels; "
        "heavy = [m for m in ('numba', 'matplotlib', 'sklearn', 'starlette', 'ray', 'faiss') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cached_kernels_call_no_helper_of_another_module():
    """Numba's on-disk cache keys a kernel on its own file only: a helper imported from another
    module could be edited without the cached kernels that inline it noticing. So a module of
    ``kernels/`` with cached functions imports no function from another module of ``kernels/``
    (constants and the bundles' NamedTuples may come from elsewhere: a change of the bundles
    changes the kernels' argument types, and the cache compiles anew), unless it pins that
    module's sha256 (``TRAIN_SHA256`` for ``train``): an edit there then fails this test until the
    pin, and so the importing module, is edited too, which makes Numba compile it anew."""
    functions = {}  # module name -> names of the functions it defines
    trees = {}
    for path in KERNELS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        trees[path.stem] = tree
        functions[path.stem] = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    trapped = []
    for name, tree in trees.items():
        cached = [
            k
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef)
            for d in n.decorator_list
            if isinstance(d, ast.Call)
            for k in d.keywords
            if k.arg == "cache" and ast.unparse(k.value) == "True"
        ]
        if not cached:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "wordvec.kernels."
            ):
                other = node.module.rsplit(".", 1)[1]
                pin = f'{other.upper()}_SHA256 = "{_sha256(KERNELS / (other + ".py"))}"'
                if pin in ast.unparse(tree).replace("'", '"'):
                    continue
                trapped += [
                    f"{name} <- {other}.{a.name}"
                    for a in node.names
                    if a.name in functions.get(other, set())
                ]
    assert trapped == []


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_one_formatting_rule_for_the_whole_tree():
    """ruff format (the project's settings, no exceptions) leaves every file as it is."""
    ruff, root = shutil.which("ruff"), SRC.parents[1]
    if ruff is None or not (root / "pyproject.toml").is_file():
        pytest.skip("needs ruff (the test extra installs it) and the package run from its checkout")
    dirs = [d for d in ("src", "tests", "bench", "scripts") if (root / d).is_dir()]
    out = subprocess.run(
        [ruff, "format", "--check", *dirs], cwd=root, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr
