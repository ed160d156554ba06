// API misuse: an AttributeError on a module or on an object a library made — which library, which
// attribute was wrong, and (from fixes) what replaced it.
import { frameLibrary, topLevel, type CodeSummary } from "./codeSummary.js";
import { errorNames, importBindings } from "./lessons.js";
import { leaf, type FixStrategy } from "./fixStrategy.js";
import { STDLIB_MODULES } from "./stdlibExceptions.generated.js";

export interface ApiMisuse {
  library: string;
  /** `module os`, or the type whose object lacked the attribute (`DataFrame`). */
  object: string;
  attribute: string;
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
  const names = importBindings(summary);
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

/**
 * The libraries a failure is about — not every module the script imports: the module of a dotted exception
 * type (`json.decoder.JSONDecodeError` → json), the library whose code raised it (the innermost frame, when it
 * is a library's), the module the message names (`module 'os' has no attribute …`), and the imported name the
 * failing expression reaches the named attribute or callee through (`MapsBridge.AppendNotes(…)` → MapsBridge).
 */
export function attributedLibraries(
  errorType: string | null,
  message: string | null,
  frameFiles: readonly string[],
  failingLine: string | null,
  summary: CodeSummary,
  libraries: readonly string[],
): string[] {
  const found = new Set<string>();
  if (errorType?.includes(".")) found.add(topLevel(errorType));
  const innermost = frameFiles[frameFiles.length - 1];
  const raisedIn = innermost ? frameLibrary(innermost) : null;
  if (raisedIn) found.add(raisedIn);
  const first = message?.split("\n")[0] ?? "";
  const named = /^(?:partially initialized )?module '([\w.]+)'|^No module named '([\w.]+)'|^cannot import name '\w+' from '([\w.]+)'/.exec(
    first,
  );
  if (named) found.add(topLevel(named[1] ?? named[2] ?? named[3]));
  const misuse = apiMisuse(errorType, message, failingLine, summary, libraries);
  if (misuse) found.add(misuse.library);
  if (failingLine && errorType !== "NameError" && errorType !== "UnboundLocalError") {
    const bindings = importBindings(summary);
    for (const name of errorNames(message)) {
      const root = name.includes(".") ? null : lookupRoot(failingLine, name);
      const library = root !== null ? bindings.get(root) : undefined;
      if (library) found.add(library);
    }
  }
  found.delete("builtins");
  found.delete("__main__");
  return [...found].sort();
}
