// What a script imports, calls, references and defines, read with a real Python parser. @lezer/python
// recovers from syntax errors (it marks them and parses on), which matters: failing code often does not parse.
import { parser } from "@lezer/python";
import type { SyntaxNode } from "@lezer/common";

export interface CodeSummary {
  /** Import statements, normalised: `import numpy as np`, `from os.path import join`. */
  imports: string[];
  /** Every module named by an import (`os.path`, `numpy`); relative imports are left out. */
  modules: string[];
  /** Dotted names that are called, as written: `os.makedir`, `np.zeros`, `str`. */
  calls: string[];
  /** Dotted names that are read (calls included), and their roots: what a fix can misspell or replace. */
  references: string[];
  /** Names the code binds: assignment and loop targets, functions, classes. */
  defined: string[];
  /** How many places the parser had to recover from a syntax error. */
  syntax_errors: number;
}

const sorted = (values: Set<string>) => [...values].sort();

/** Unix line endings: CRLF code (the original system's logs have it) must summarise and diff like LF code. */
export function normaliseNewlines(code: string): string {
  return code.replace(/\r\n?/g, "\n");
}

export function summariseCode(source: string): CodeSummary {
  const code = normaliseNewlines(source);
  const imports = new Set<string>();
  const modules = new Set<string>();
  const calls = new Set<string>();
  const references = new Set<string>();
  const defined = new Set<string>();
  let syntaxErrors = 0;
  const text = (node: SyntaxNode) => code.slice(node.from, node.to);

  /** `a.b.c` for a chain of names, null for anything else (`f(x).y`, `a[0].b`). */
  const dotted = (node: SyntaxNode): string | null => {
    if (node.name === "VariableName") return text(node);
    if (node.name !== "MemberExpression") return null;
    const object = node.firstChild;
    const property = node.lastChild;
    if (!object || !property || property.name !== "PropertyName") return null;
    const base = dotted(object);
    return base === null ? null : `${base}.${text(property)}`;
  };

  const bindTargets = (node: SyntaxNode | null) => {
    for (let n = node; n; n = n.nextSibling) {
      if (n.name === "VariableName") defined.add(text(n));
      else if (n.name === "TupleExpression" || n.name === "ArrayExpression" || n.name === "ParenthesizedExpression") bindTargets(n.firstChild);
    }
  };

  const importStatement = (node: SyntaxNode) => {
    const statement = text(node)
      .replace(/#.*$/gm, "")
      .replace(/\\\n/g, " ")
      .replace(/\s+/g, " ")
      .replace(/\s*,\s*/g, ", ")
      .replace(/\(\s*/g, "(")
      .replace(/,?\s*\)/g, ")")
      .trim();
    imports.add(statement);
    const from = /^from\s+([\w.]+)\s+import\b/.exec(statement);
    if (from) {
      if (!from[1].startsWith(".")) modules.add(from[1]);
      return;
    }
    // import a.b as c, d
    for (const part of statement.replace(/^import\s+/, "").split(",")) {
      const module = part.trim().split(/\s+as\s+/)[0];
      if (/^[\w.]+$/.test(module)) modules.add(module);
    }
  };

  const visit = (node: SyntaxNode) => {
    switch (node.name) {
      case "⚠":
        syntaxErrors++;
        break;
      case "ImportStatement":
        importStatement(node);
        return;
      case "CallExpression": {
        const callee = node.firstChild && dotted(node.firstChild);
        if (callee) calls.add(callee);
        break;
      }
      case "MemberExpression":
      case "VariableName": {
        const name = dotted(node);
        if (name) {
          // The root too: a misspelt object (`tileInfoq.Names`) is a mistake in the root, not the whole name.
          references.add(name).add(name.split(".")[0]);
          return;
        }
        break;
      }
      case "AssignStatement":
      case "ForStatement": {
        // targets come before the `=` / `in`; the rest is read
        let n = node.firstChild;
        const targets: SyntaxNode[] = [];
        for (; n && n.name !== "AssignOp" && n.name !== "in" && n.name !== "UpdateOp"; n = n.nextSibling) {
          if (n.name !== "for") targets.push(n);
        }
        for (const t of targets) t.name === "MemberExpression" ? visitChildren(t) : bindTargets(t);
        for (; n; n = n.nextSibling) visit(n);
        return;
      }
      case "FunctionDefinition":
      case "ClassDefinition": {
        const name = node.getChild("VariableName");
        if (name) defined.add(text(name));
        for (let n = node.firstChild; n; n = n.nextSibling) if (n.from !== name?.from && n.name !== "ParamList") visit(n);
        return;
      }
    }
    visitChildren(node);
  };
  const visitChildren = (node: SyntaxNode) => {
    for (let n = node.firstChild; n; n = n.nextSibling) visit(n);
  };

  visit(parser.parse(code).topNode);
  return {
    imports: sorted(imports),
    modules: sorted(modules),
    calls: sorted(calls),
    references: sorted(references),
    defined: sorted(defined),
    syntax_errors: syntaxErrors,
  };
}

/** Top-level package of a dotted module name: `os.path` → `os`. */
export const topLevel = (module: string) => module.split(".")[0];

/** The module a traceback frame's file belongs to, when it is a library's (site-packages or the standard library). */
export function frameLibrary(file: string): string | null {
  const m = /[\\/](?:site|dist)-packages[\\/]([A-Za-z_]\w*)/.exec(file) ?? /[\\/]lib[\\/]python\d+(?:\.\d+)?[\\/]([A-Za-z_]\w*)/.exec(file);
  return m && m[1] !== "site" ? m[1] : null;
}

/**
 * Libraries an attempt uses: its imports, the libraries its traceback passed through, and the module of a
 * dotted exception type (`json.decoder.JSONDecodeError` → json). Top-level names, sorted.
 */
export function librariesUsed(summary: CodeSummary, frameFiles: string[], errorType: string | null): string[] {
  const libraries = new Set(summary.modules.map(topLevel));
  for (const file of frameFiles) {
    const library = frameLibrary(file);
    if (library) libraries.add(library);
  }
  if (errorType && errorType.includes(".")) libraries.add(topLevel(errorType));
  libraries.delete("__future__");
  libraries.delete("builtins");
  return [...libraries].sort();
}
