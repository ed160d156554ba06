// Dependencies point one way: no module of src imports, directly or through others, a module that imports it
// back. Type-only imports are left out: they vanish from the compiled code and order nothing at run time.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { sourceFiles, SRC } from "./helpers/sourceFiles.js";

/** The modules of src that `file` needs at run time. */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const found: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith(".")) continue;
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      const onlyTypes =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            named !== undefined &&
            ts.isNamedImports(named) &&
            named.elements.length > 0 &&
            named.elements.every((e) => e.isTypeOnly)));
      if (onlyTypes) continue;
    } else if (statement.isTypeOnly) {
      continue;
    }
    found.push(path.resolve(path.dirname(file), specifier.text.replace(/\.js$/, ".ts")));
  }
  return found;
}

/** Strongly connected groups of more than one module (Tarjan's algorithm, with an explicit stack). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let next = 0;
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; edge: number }> = [{ node: root, edge: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const top = work[work.length - 1];
      const edges = graph.get(top.node) ?? [];
      if (top.edge < edges.length) {
        const to = edges[top.edge++];
        if (!graph.has(to)) continue;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) {
          low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      if (work.length) low.set(work[work.length - 1].node, Math.min(low.get(work[work.length - 1].node)!, low.get(top.node)!));
      if (low.get(top.node) === index.get(top.node)) {
        const group: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          group.push(path.relative(SRC, member));
        } while (member !== top.node);
        if (group.length > 1) groups.push(group.sort());
      }
    }
  }
  return groups;
}

describe("architecture", () => {
  it("src has no import cycles", () => {
    const files = sourceFiles(SRC);
    expect(files.length).to.be.greaterThan(50);
    const graph = new Map(files.map((f) => [f, runtimeImports(f)]));
    expect(cycles(graph)).to.deep.equal([]);
  });

  it("the check finds a cycle when there is one", () => {
    const graph = new Map([
      [path.join(SRC, "a.ts"), [path.join(SRC, "b.ts")]],
      [path.join(SRC, "b.ts"), [path.join(SRC, "c.ts")]],
      [path.join(SRC, "c.ts"), [path.join(SRC, "a.ts")]],
      [path.join(SRC, "d.ts"), [path.join(SRC, "a.ts")]],
    ]);
    expect(cycles(graph)).to.deep.equal([["a.ts", "b.ts", "c.ts"]]);
  });
});
