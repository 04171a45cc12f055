"""The public signatures are typed: every public function and method of madbench (outside the
command line's click commands, whose types are their options) annotates its parameters and
its return, and the package ships py.typed."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "madbench"


def _public_functions(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield node
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            yield from (n for n in node.body if isinstance(n, ast.FunctionDef))


def test_every_public_function_is_annotated():
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "cli.py" or (path.name.startswith("_") and path.name != "__init__.py"):
            continue
        for node in _public_functions(ast.parse(path.read_text())):
            if node.name.startswith("_"):
                continue
            params = [
                a for a in (*node.args.args, *node.args.kwonlyargs) if a.arg not in ("self", "cls")
            ]
            bare = [a.arg for a in params if a.annotation is None]
            if node.returns is None or bare:
                where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}"
                missing.append(f"{where} (unannotated: {bare or 'return'})")
    assert not missing, "\n".join(missing)
    assert (PACKAGE / "py.typed").is_file()
