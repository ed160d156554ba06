// API misuse: an AttributeError on a module or on an object a library made — which library, which
// attribute was wrong, and (from fixes) what replaced it.
import { topLevel, type CodeSummary } from "./codeSummary.js";
import { leaf, type FixStrategy } from "./fixStrategy.js";
import { STDLIB_MODULES } from "./stdlibExceptions.generated.js";

export interface ApiMisuse {
  library: string;
  /** `module os`, or the type whose object lacked the attribute (`DataFrame`). */
  object: string;
  attribute: string;
}

/** Local name → module it was imported from: `np` → numpy, `Image` → PIL. (Statements come normalised: single spaces.) */
export function importedNames(summary: CodeSummary): Map<string, string> {
  const names = new Map<string, string>();
  for (const statement of summary.imports) {
    const imported = statement.indexOf(" import ");
    const from = statement.startsWith("from ") && imported > 0 ? statement.slice(5, imported) : null;
    const list = from === null ? statement.slice("import ".length) : statement.slice(imported + " import ".length);
    const parts = (from !== null && list.startsWith("(") && list.endsWith(")") ? list.slice(1, -1) : list).split(",");
    for (const part of parts) {
      const [name, alias] = part.trim().split(" as ");
      if (!name || name === "*") continue;
      names.set(alias ?? (from !== null ? name : topLevel(name)), topLevel(from ?? name));
    }
  }
  return names;
}

const DOTTED_CHAIN = /\b[A-Za-z_]\w*(?:\.\w+)*/g;

/** The root of the first dotted chain on the failing line that looks `attribute` up: `np` in `np.random.foo(1)` for `foo`. */
function lookupRoot(line: string, attribute: string): string | null {
  for (const [chain] of line.matchAll(DOTTED_CHAIN)) {
    const parts = chain.split(".");
    if (parts.indexOf(attribute, 1) > 0) return parts[0];
  }
  return null;
}

export function apiMisuse(
  errorType: string | null,
  message: string | null,
  failingLine: string | null,
  summary: CodeSummary,
  libraries: readonly string[],
): ApiMisuse | null {
  if (errorType !== "AttributeError" || !message) return null;
  const onModule = /^(?:partially initialized )?module '([\w.]+)' has no attribute '(\w+)'/.exec(message);
  if (onModule) return { library: topLevel(onModule[1]), object: `module ${onModule[1]}`, attribute: onModule[2] };
  const onObject = /^(?:type object )?'([\w.]+)'(?: object)? has no attribute '(\w+)'/.exec(message);
  if (!onObject) return null;
  const [, type, attribute] = onObject;
  if (type === "NoneType") return null;
  // The name the attribute was looked up on, if the script imported it (`np.float` → numpy) …
  const names = importedNames(summary);
  const root = failingLine ? lookupRoot(failingLine, attribute) : null;
  const library = (root !== null ? names.get(root) : undefined) ?? soleThirdParty(libraries);
  return library ? { library, object: type, attribute } : null;
}

/** … else the one non-standard library the attempt used, if there is exactly one. */
function soleThirdParty(libraries: readonly string[]): string | null {
  const thirdParty = libraries.filter((l) => !STDLIB_MODULES.has(l));
  return thirdParty.length === 1 ? thirdParty[0] : null;
}

/** What a fix put in place of the wrong attribute, if it replaced it. */
export function replacementFor(misuse: ApiMisuse, strategy: FixStrategy): string | null {
  const replaced = strategy.replaced.find((r) => leaf(r.from) === misuse.attribute);
  return replaced ? leaf(replaced.to) : null;
}
