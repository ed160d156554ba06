// The analyzer's budget per attempt: how much of its code, stderr and message it reads. What lies beyond is
// not analysed, and the facts say so (`analysis_partial`). The budget is counted in characters, not time, so
// a rebuild derives exactly the facts the live service derived, on any machine. Every analysis step is
// linear in what it reads, so these caps bound the time one attempt can take.

/** Code: the first 256 KiB characters are summarised (imports, calls, names) and diffed against fixes. */
export const MAX_CODE_CHARS = 256 * 1024;
/** stderr: the last 64 KiB characters are parsed; a traceback ends there. */
export const MAX_STDERR_CHARS = 64 * 1024;
/** The error message's first line: its first 4 KiB characters make the pattern's template. */
export const MAX_MESSAGE_CHARS = 4 * 1024;
/** Frames: the innermost 200 of a traceback are kept (a recursion error prints up to 1000). */
export const MAX_FRAMES = 200;

/** The part of the code the analyzer reads. */
export const codeRead = (code: string) => (code.length > MAX_CODE_CHARS ? code.slice(0, MAX_CODE_CHARS) : code);

/** The part of stderr the analyzer reads. */
export const stderrRead = (stderr: string) => (stderr.length > MAX_STDERR_CHARS ? stderr.slice(-MAX_STDERR_CHARS) : stderr);
