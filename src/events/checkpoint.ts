// Signed checkpoints of the log's hash chain, in the text form of a C2SP signed note
// (https://github.com/C2SP/C2SP/blob/main/signed-note.md, tlog-checkpoint):
//
//   <origin>\n<seq>\n<base64 of the head hash>\ntime <ISO-8601>\n\n— <key name> <base64(key hash ‖ Ed25519 signature)>\n
//
// Keys use the note formats too: `PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ seed)>` and
// `<name>+<hash>+<base64(0x01 ‖ public key)>`, so standard note tooling can check our checkpoints.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";

export interface Checkpoint {
  origin: string;
  seq: number;
  /** The chain hash of event `seq`, hex. */
  hash: string;
  time: string;
}

export interface SignerKey {
  name: string;
  keyHash: Buffer;
  privateKey: KeyObject;
}

export interface VerifierKey {
  name: string;
  keyHash: Buffer;
  publicKey: KeyObject;
}

const ED25519 = 0x01;
// DER of a PKCS#8 Ed25519 private key up to its 32-byte seed.
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SIGNATURE_PREFIX = "\u2014 ";

const b64url = (bytes: Buffer) => bytes.toString("base64url");

/** The 4-byte key id of signed notes: SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[:4]. */
function keyHash(name: string, publicKey: Buffer): Buffer {
  return createHash("sha256").update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([ED25519]), publicKey])).digest().subarray(0, 4);
}

function checkName(name: string): void {
  if (!/^[^\s+]+$/.test(name)) throw new Error(`a key name has no spaces or '+': '${name}'`);
}

export function generateKeys(name: string): { privateText: string; publicText: string } {
  checkName(name);
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  const seed = Buffer.from(jwk.d!, "base64url");
  const pub = Buffer.from(jwk.x!, "base64url");
  const hash = keyHash(name, pub).toString("hex");
  return {
    privateText: `PRIVATE+KEY+${name}+${hash}+${Buffer.concat([Buffer.from([ED25519]), seed]).toString("base64")}\n`,
    publicText: `${name}+${hash}+${Buffer.concat([Buffer.from([ED25519]), pub]).toString("base64")}\n`,
  };
}

export function parseSignerKey(text: string): SignerKey {
  const m = /^PRIVATE\+KEY\+([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text.trim());
  if (!m) throw new Error("not a signed-note private key (PRIVATE+KEY+name+hash+key)");
  const raw = Buffer.from(m[3], "base64");
  if (raw.length !== 33 || raw[0] !== ED25519) throw new Error("not an Ed25519 signed-note key");
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, raw.subarray(1)]), format: "der", type: "pkcs8" });
  const pub = Buffer.from(createPublicKey(privateKey).export({ format: "jwk" }).x!, "base64url");
  return { name: m[1], keyHash: keyHash(m[1], pub), privateKey };
}

export function parseVerifierKey(text: string): VerifierKey {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text.trim());
  if (!m) throw new Error("not a signed-note verifier key (name+hash+key)");
  const raw = Buffer.from(m[3], "base64");
  if (raw.length !== 33 || raw[0] !== ED25519) throw new Error("not an Ed25519 signed-note key");
  const hash = keyHash(m[1], raw.subarray(1));
  if (hash.toString("hex") !== m[2]) throw new Error("the key's hash does not match its name and key");
  return { name: m[1], keyHash: hash, publicKey: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64url(raw.subarray(1)) }, format: "jwk" }) };
}

function noteBody(c: Checkpoint): string {
  return `${c.origin}\n${c.seq}\n${Buffer.from(c.hash, "hex").toString("base64")}\ntime ${c.time}\n`;
}

export function signCheckpoint(c: Checkpoint, key: SignerKey): string {
  const body = noteBody(c);
  const signature = sign(null, Buffer.from(body), key.privateKey);
  return `${body}\n${SIGNATURE_PREFIX}${key.name} ${Buffer.concat([key.keyHash, signature]).toString("base64")}\n`;
}

export interface ParsedNote {
  checkpoint: Checkpoint;
  body: string;
  signatures: Array<{ name: string; keyHash: Buffer; signature: Buffer }>;
}

export function parseCheckpoint(text: string): ParsedNote {
  const split = text.indexOf("\n\n");
  if (split < 0) throw new Error("no blank line between the checkpoint and its signatures");
  const body = text.slice(0, split + 1);
  const lines = body.split("\n");
  const [origin, seqText, hashB64] = lines;
  const time = lines.find((l) => l.startsWith("time "))?.slice(5) ?? "";
  const hash = Buffer.from(hashB64 ?? "", "base64");
  if (!origin || !/^\d+$/.test(seqText ?? "") || hash.length !== 32) throw new Error("not a checkpoint (origin, seq, base64 hash)");
  const signatures = text
    .slice(split + 2)
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
      if (!m) throw new Error(`not a signature line: '${line}'`);
      const raw = Buffer.from(m[2], "base64");
      return { name: m[1], keyHash: raw.subarray(0, 4), signature: raw.subarray(4) };
    });
  return { checkpoint: { origin, seq: Number(seqText), hash: hash.toString("hex"), time }, body, signatures };
}

/** True when one of the note's signatures is the key's, and valid. */
export function signatureValid(note: ParsedNote, key: VerifierKey): boolean {
  return note.signatures.some((s) => s.name === key.name && s.keyHash.equals(key.keyHash) && verify(null, Buffer.from(note.body), key.publicKey, s.signature));
}
