"""What summariseCode should find, computed with CPython's own parser (the `ast` module).

Reads a JSON array of Python sources on stdin; writes a JSON array with, for each, the summary (or null
where the source does not parse, which the token-based summariser must cope with but ast cannot judge).
"""
import ast
import json
import re
import sys


def normalise_import(text):
    text = re.sub(r"#.*$", "", text, flags=re.M)
    text = text.replace("\\\n", " ")
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s*,\s*", ", ", text)
    text = re.sub(r"\(\s*", "(", text)
    text = re.sub(r",?\s*\)", ")", text)
    return text.strip()


def dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


class Summary(ast.NodeVisitor):
    def __init__(self, source):
        self.source = source
        self.imports, self.modules, self.calls, self.references, self.defined = set(), set(), set(), set(), set()
        self.comprehension_targets = set()

    def visit_Import(self, node):
        self.imports.add(normalise_import(ast.get_source_segment(self.source, node)))
        self.modules.update(alias.name for alias in node.names)

    def visit_ImportFrom(self, node):
        self.imports.add(normalise_import(ast.get_source_segment(self.source, node)))
        if node.level == 0 and node.module:
            self.modules.add(node.module)

    def visit_Call(self, node):
        name = dotted(node.func)
        if name is not None:
            self.calls.add(name)
        self.generic_visit(node)

    def visit_comprehension(self, node):
        # its targets bind names local to the comprehension: neither read nor defined
        self.comprehension_targets.update(id(n) for n in ast.walk(node.target))
        self.generic_visit(node)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            self.references.add(node.id)
        elif isinstance(node.ctx, ast.Store) and id(node) not in self.comprehension_targets:
            self.defined.add(node.id)

    def visit_Attribute(self, node):
        name = dotted(node) if isinstance(node.ctx, ast.Load) else None
        if name is None:
            self.generic_visit(node)
        else:
            self.references.update((name, name.split(".")[0]))

    def visit_FunctionDef(self, node):
        self.defined.add(node.name)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef

    def visit_ExceptHandler(self, node):
        if node.name:
            self.defined.add(node.name)
        self.generic_visit(node)

    def visit_Match(self, node):
        self.visit(node.subject)  # patterns bind captures and read nothing summarised
        for case in node.cases:
            for statement in case.body:
                self.visit(statement)


def summarise(source):
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    summary = Summary(source)
    summary.visit(tree)
    return {key: sorted(getattr(summary, key)) for key in ("imports", "modules", "calls", "references", "defined")}


if __name__ == "__main__":
    json.dump([summarise(source) for source in json.load(sys.stdin)], sys.stdout)
