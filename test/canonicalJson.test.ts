import { expect } from "chai";
import canonicalize from "canonicalize";
import { canonicalJson, envelopeHash, GENESIS_HASH, sealEnvelope } from "../src/events/envelope.js";
import type { Envelope } from "../src/events/types.js";
import { ChainVerifier } from "../src/events/chain.js";

describe("RFC 8785 canonical JSON", () => {
  const samples: unknown[] = [
    { b: 1, a: [true, null, "x"], "€": { z: 1e21, y: 0.1, x: -0, w: 1.5e-7 } },
    { "\u00e9": 1, e: 2, E: 3, "\ud83d\ude00": 4, "\u0080": 5 },
    ["line\nbreak", 'quote"', "tab\t", "\u0001", "emoji 😀", "\u2028"],
    { nested: { deeper: [{ k: "v", a: [] }, {}] }, n: 123456789012345680000 },
    "plain",
    42,
    false,
    null,
  ];
  it("agrees with the canonicalize package on awkward values", () => {
    for (const s of samples) expect(canonicalJson(s)).to.equal(canonicalize(s));
  });
  it("refuses lone surrogates and non-finite numbers", () => {
    expect(() => canonicalJson({ a: "\ud800" })).to.throw(/lone surrogate/);
    expect(() => canonicalJson([Infinity])).to.throw();
  });
  it("seals an envelope whose line is its canonical JSON and whose hash chains", () => {
    const unhashed = {
      seq: 1,
      id: "5f0c6c5e-0000-4000-8000-000000000000",
      type: "AttemptFailed",
      version: 1,
      recorded_at: "2026-01-01T00:00:00.000Z",
      data: {
        log_id: "a",
        session_id: "s",
        timestamp: "2026-01-01T00:00:00Z",
        code: "x",
        origin: { system: "s", path: "p", derived: { hash: "h", id: "i" } },
      },
      prev_hash: GENESIS_HASH,
    } as unknown as Omit<Envelope, "hash">;
    const { envelope, line } = sealEnvelope(unhashed);
    expect(line).to.equal(canonicalize(envelope));
    expect(envelope.hash).to.equal(envelopeHash(unhashed));
  });
});

describe("checking lines a snapshot covers as links of the chain", () => {
  /** Three sealed lines; the data holds members named like the envelope's, to trip a careless reader. */
  function sealedLines(): string[] {
    const lines: string[] = [];
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= 3; seq++) {
      const data = {
        log_id: `a${seq}`,
        session_id: "s",
        timestamp: "2026-01-01T00:00:00Z",
        session_assigned: true,
        code: `x = ${seq}\n`,
        stderr: ',"hash":"0","prev_hash":"1","seq":99,',
      };
      const unhashed = {
        seq,
        id: `5f0c6c5e-0000-4000-8000-00000000000${seq}`,
        type: "AttemptFailed",
        version: 2,
        recorded_at: "2026-01-01T00:00:00.000Z",
        data,
        prev_hash: prev,
      } as unknown as Omit<Envelope, "hash">;
      const { envelope, line } = sealEnvelope(unhashed);
      lines.push(line);
      prev = envelope.hash;
    }
    return lines;
  }

  it("accepts sealed lines in order and ends at the same head as the full check", () => {
    const lines = sealedLines();
    const links = new ChainVerifier();
    const full = new ChainVerifier();
    lines.forEach((line, i) => {
      links.acceptLink(line, "f.jsonl", i + 1);
      full.accept(line, "f.jsonl", i + 1);
    });
    expect(links.current).to.deep.equal(full.current);
    expect(links.current.seq).to.equal(3);
  });

  it("names the line whose content changed, or that is out of place", () => {
    const lines = sealedLines();
    const changed = new ChainVerifier();
    changed.acceptLink(lines[0], "f.jsonl", 1);
    expect(() => changed.acceptLink(lines[1].replace('"x = 2\\n"', '"x = 3\\n"'), "f.jsonl", 2)).to.throw(
      /f\.jsonl:2 \(seq 2\): hash does not match/,
    );
    const skipped = new ChainVerifier();
    skipped.acceptLink(lines[0], "f.jsonl", 1);
    expect(() => skipped.acceptLink(lines[2], "f.jsonl", 2)).to.throw(/f\.jsonl:2 \(seq 3\): seq 3 where 2 was expected/);
  });

  it("gives a line that is not canonical the full check", () => {
    const [first] = sealedLines();
    const envelope = JSON.parse(first) as Envelope;
    const { hash, ...rest } = envelope;
    const reordered = JSON.stringify({ hash, ...rest }, null, 1).replace(/\n/g, "");
    expect(reordered).to.not.equal(first);
    const verifier = new ChainVerifier();
    verifier.acceptLink(reordered, "f.jsonl", 1);
    expect(verifier.current).to.deep.equal({ seq: 1, hash: envelope.hash });
  });
});
