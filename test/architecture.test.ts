// Routes ask the query façade (src/service/queries.ts), never the read models' states (issue 12): no module of
// the API or the console reads `….models.states` or `….models.seq`, or the contexts read model behind the
// learning loop's commands (`….contexts.state`). Read from the syntax tree, so comments and strings don't count.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { sourceFiles, SRC } from "./helpers/sourceFiles.js";

/** Properties a route must not read, each by the name of the object it hangs off. */
const FORBIDDEN: Record<string, Record<string, true>> = { models: { states: true, seq: true }, contexts: { state: true } };

/** The name `node` ends in: `models` for `service.models`, `service["models"]` and a variable `models`. */
function lastName(node: ts.Node): string | undefined {
  if (ts.isIdentifier(node)) return node.text;
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  if (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression)) return node.argumentExpression.text;
  return undefined;
}

function forbidden(owner: ts.Node, property: string): boolean {
  const name = lastName(owner);
  return name !== undefined && Object.hasOwn(FORBIDDEN, name) && FORBIDDEN[name][property] === true;
}

/** Each place in `text` that reads a read model's state past the façade, as `file:line: code`. */
function readModelReaches(file: string, text: string): string[] {
  const tree = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const report = (node: ts.Node) =>
    found.push(`${file}:${tree.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText().replace(/\s+/g, " ")}`);
  const stack: ts.Node[] = [tree];
  while (stack.length) {
    const node = stack.pop()!;
    if (ts.isPropertyAccessExpression(node) && forbidden(node.expression, node.name.text)) report(node);
    if (
      ts.isElementAccessExpression(node) &&
      ts.isStringLiteral(node.argumentExpression) &&
      forbidden(node.expression, node.argumentExpression.text)
    )
      report(node);
    // `const { states } = service.models`
    if (ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name) && node.initializer) {
      const owner = node.initializer;
      for (const element of node.name.elements) {
        const property = element.propertyName ?? element.name;
        if (ts.isIdentifier(property) && forbidden(owner, property.text)) report(node);
      }
    }
    // In source order: the last child goes on the stack first.
    const children: ts.Node[] = [];
    ts.forEachChild(node, (child) => {
      children.push(child);
    });
    stack.push(...children.reverse());
  }
  return found;
}

describe("architecture: the query façade", () => {
  it("no module of src/web or src/api reads the read models' states or seq directly", () => {
    const files = [...sourceFiles(path.join(SRC, "web")), ...sourceFiles(path.join(SRC, "api"))];
    expect(files.length).to.be.greaterThan(20);
    const found = files.flatMap((f) => readModelReaches(path.relative(SRC, f), readFileSync(f, "utf8")));
    expect(found).to.deep.equal([]);
  });

  it("the check finds each way of reaching past the façade, and not the façade itself", () => {
    const code = `
      const a = service.models.states.failures;
      const b = this.service.models.seq;
      const c = models.states;
      const d = service.models?.states;
      const e = service["models"]["seq"];
      const { states } = service.models;
      const { seq: at } = service.models;
      const f = service.contexts.state.catalog;
      // service.models.states in a comment
      const g = "service.models.seq in a string";
      const h = service.queries.seq + service.queries.failures(10, false).length;
      const i = states.contexts.sessions;
    `;
    const lines = readModelReaches("example.ts", code).map((found) => found.split(": ")[0]);
    expect(lines).to.deep.equal([2, 3, 4, 5, 6, 7, 8, 9].map((line) => `example.ts:${line}`));
  });
});
