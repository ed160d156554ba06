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

/** Local name → module it was imported from: `np` → numpy, `Image` → PIL. */
export function importedNames(summary: CodeSummary): Map<string, string> {
  const names = new Map<string, string>();
  for (const statement of summary.imports) {
    const from = /^from\s+([\w.]+)\s+import\s+\(?(.*?)\)?$/.exec(statement);
    const parts = from ? from[2].split(",") : statement.replace(/^import\s+/, "").split(",");
    for (const part of parts) {
      const [name, alias] = part.trim().split(/\s+as\s+/);
      if (!name || name === "*") continue;
      names.set(alias ?? (from ? name : topLevel(name)), topLevel(from ? from[1] : name));
    }
  }
  return names;
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
  const lookup = failingLine ? new RegExp(`\\b([A-Za-z_]\\w*)(?:\\.\\w+)*\\.${attribute}\\b`).exec(failingLine) : null;
  const library = (lookup && names.get(lookup[1])) ?? soleThirdParty(libraries);
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
