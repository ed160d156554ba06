// Lines of a text stream read in chunks: the one splitter for plain daily files and gzip-compressed ones.

/**
 * Every complete line, in order. The text after the last newline is an unfinished line — an append in
 * progress in a live file — and is yielded only when `unfinished` is "keep" (a closed archive has none).
 */
export async function* streamLines(chunks: AsyncIterable<Buffer | string>, unfinished: "keep" | "drop"): AsyncGenerator<string> {
  let carry = "";
  for await (const chunk of chunks) {
    const parts = (carry + chunk.toString()).split("\n");
    carry = parts.pop()!;
    yield* parts;
  }
  if (carry && unfinished === "keep") yield carry;
}
