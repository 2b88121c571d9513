"""The compiler's stages import one way (docs/architecture.md): a module imports only its own stage and earlier ones,
there are no import cycles, and project modules are imported at the top of a module, never inside a function."""
import ast
from pathlib import Path

import pytest

from conftest import REPO

COMPILER = REPO / "compiler"
# The stages in pipeline order: a top-level module or a package of squeezeflow.compiler, and its rank.
STAGES = {
    "errors": 0, "onnxrt": 0, "boards": 0, "datasets": 0,  # foundations: no project imports but each other's
    "ir": 1, "golden": 1,  # the layer IR and its integer semantics
    "quant": 2, "frontend": 2,  # PyTorch quantization and export; ONNX -> IR
    "kernels": 3,  # each kernel's cycles, resources and parameters
    "dataflow": 4,  # the process network of a folded IR, its FIFO depths, weight layouts
    "planner": 5,  # folding and placement for a board, the estimate
    "backends": 6,  # HLS C++, Verilog, Vivado scripts, manifest, report
    "sim": 7,  # C simulation, RTL simulation, yosys, the onnxruntime reference
    "pipeline": 8, "golden_cli": 8, "cli": 8, "demo": 8,  # the verbs that drive them
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(COMPILER).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path):
    """(project module imported, line, inside a function) for every import of squeezeflow.compiler in `path`."""
    module = _module_name(path)
    package = module.rpartition(".")[0] if path.name != "__init__.py" else module
    tree = ast.parse(path.read_text(), str(path))
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    nested = {id(node) for f in functions for node in ast.walk(f)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").startswith("squeezeflow.compiler"):
                target = node.module[len("squeezeflow.compiler"):].lstrip(".")
            else:
                continue
            names = [f"{target}.{a.name}".lstrip(".") for a in node.names]
            for name in names:  # `from . import ir` imports module ir; `from .ir import QType` imports module ir
                yield (name if _is_module(name) else target), node.lineno, id(node) in nested
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("squeezeflow.compiler"):
                    yield a.name[len("squeezeflow.compiler"):].lstrip("."), node.lineno, id(node) in nested


def _is_module(name: str) -> bool:
    path = COMPILER.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _stage(module: str) -> str:
    return module.split(".")[0]


MODULES = sorted(p for p in COMPILER.rglob("*.py"))


def test_every_module_has_a_stage():
    assert {_stage(_module_name(p)) for p in MODULES if _module_name(p)} <= set(STAGES)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(COMPILER)))
def test_imports_go_one_way(path):
    module = _module_name(path)
    upward, hidden = [], []
    for target, line, in_function in _imports(path):
        if module and STAGES[_stage(target)] > STAGES[_stage(module)]:
            upward.append(f"line {line}: {module} ({_stage(module)}) imports {target} ({_stage(target)})")
        if in_function:
            hidden.append(f"line {line}: {target}")
    assert not upward, f"imports from a later stage: {upward}"
    assert not hidden, f"project imports inside a function (import at the top): {hidden}"


def test_no_import_cycles():
    graph = {_module_name(p): {t for t, _, _ in _imports(p) if t and t != _module_name(p)} for p in MODULES}
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_host_never_imports_the_compiler():
    for path in sorted((REPO / "host").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                assert not (node.module or "").startswith("squeezeflow.compiler"), f"{path}:{node.lineno}"
            if isinstance(node, ast.ImportFrom) and node.level > 1:
                assert False, f"{path}:{node.lineno}: relative import out of the host package"
