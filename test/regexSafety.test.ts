// No regular expression in src/ can backtrack super-linearly (issue 11, defect 2): every regex literal is
// put through recheck, a ReDoS checker that proves linearity from the pattern's automaton (or, for patterns
// with look-around and back-references, searches for an attack string). A pattern built at run time cannot
// be checked, so there must be none.
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { check } from "recheck";
import ts from "typescript";
import { REPO_ROOT } from "./helpers/corpus.js";

interface Found {
  where: string;
  source: string;
  flags: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
  );
}

/** Every regex literal in src/, and every place that builds one at run time. */
function regexesInSource(): { literals: Found[]; dynamic: string[] } {
  const literals: Found[] = [];
  const dynamic: string[] = [];
  for (const file of sourceFiles(path.join(REPO_ROOT, "src"))) {
    const tree = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const where = (node: ts.Node) => `${path.relative(REPO_ROOT, file)}:${tree.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    const visit = (node: ts.Node): void => {
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const text = node.getText();
        const end = text.lastIndexOf("/");
        literals.push({ where: where(node), source: text.slice(1, end), flags: text.slice(end + 1) });
      } else if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && node.expression.getText() === "RegExp") {
        dynamic.push(where(node));
      }
      ts.forEachChild(node, visit);
    };
    visit(tree);
  }
  return { literals, dynamic };
}

// Fixed seed, no time limit: the verdict must not depend on luck or on how loaded the machine is.
const CHECK = { randomSeed: 0, timeout: null };

describe("regular expressions in src/", function () {
  this.timeout(240_000);

  it("the checker finds the super-linear patterns this project once had", async () => {
    const groupBox = await check("^\\s*\\+[-+]+(?: \\d+ -+|-+)\\s*$", "", CHECK);
    const didYouMean = await check("\\.? Did you mean: (.+)\\?$", "", CHECK);
    expect([groupBox.status, didYouMean.status]).to.deep.equal(["vulnerable", "vulnerable"]);
  });

  it("are all literals: none is built at run time", () => {
    expect(regexesInSource().dynamic).to.deep.equal([]);
  });

  it("are all safe from super-linear backtracking", async () => {
    const { literals } = regexesInSource();
    expect(literals.length).to.be.greaterThan(50);
    const unsafe: string[] = [];
    // Each distinct pattern once.
    for (const r of new Map(literals.map((literal) => [`${literal.flags}/${literal.source}`, literal])).values()) {
      const verdict = await check(r.source, r.flags, CHECK);
      if (verdict.status !== "safe") {
        const attack = verdict.status === "vulnerable" ? `, e.g. ${JSON.stringify(verdict.attack.string.slice(0, 60))}` : "";
        unsafe.push(
          `${r.where} /${r.source}/${r.flags}: ${verdict.status} ${verdict.status === "vulnerable" ? verdict.complexity.summary : ""}${attack}`,
        );
      }
    }
    expect(unsafe).to.deep.equal([]);
  });
});
