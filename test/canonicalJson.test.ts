import { expect } from "chai";
import canonicalize from "canonicalize";
import { canonicalJson, envelopeHash, GENESIS_HASH, sealEnvelope } from "../src/events/envelope.js";
import type { Envelope } from "../src/events/types.js";

describe("RFC 8785 canonical JSON", () => {
  const samples: unknown[] = [
    { b: 1, a: [true, null, "x"], "€": { z: 1e21, y: 0.1, x: -0, w: 1.5e-7 } },
    { "\u00e9": 1, e: 2, E: 3, "\ud83d\ude00": 4, "\u0080": 5 },
    ["line\nbreak", "quote\"", "tab\t", "\u0001", "emoji 😀", "\u2028"],
    { nested: { deeper: [{ k: "v", a: [] }, {}] }, n: 123456789012345680000 },
    "plain", 42, false, null,
  ];
  it("agrees with the canonicalize package on awkward values", () => {
    for (const s of samples) expect(canonicalJson(s)).to.equal(canonicalize(s));
  });
  it("refuses lone surrogates and non-finite numbers", () => {
    expect(() => canonicalJson({ a: "\ud800" })).to.throw(/lone surrogate/);
    expect(() => canonicalJson([Infinity])).to.throw();
  });
  it("seals an envelope whose line is its canonical JSON and whose hash chains", () => {
    const unhashed = { seq: 1, id: "5f0c6c5e-0000-4000-8000-000000000000", type: "AttemptFailed", version: 1, recorded_at: "2026-01-01T00:00:00.000Z",
      data: { log_id: "a", session_id: "s", timestamp: "2026-01-01T00:00:00Z", code: "x", origin: { system: "s", path: "p", derived: { hash: "h", id: "i" } } },
      prev_hash: GENESIS_HASH } as unknown as Omit<Envelope, "hash">;
    const { envelope, line } = sealEnvelope(unhashed);
    expect(line).to.equal(canonicalize(envelope));
    expect(envelope.hash).to.equal(envelopeHash(unhashed));
  });
});
