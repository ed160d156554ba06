// `scriptlog keygen`: an Ed25519 key pair for signing checkpoints, in the signed-note key formats.
import { writeFile } from "node:fs/promises";
import { generateKeys } from "../events/checkpoint.js";
import { ScriptlogError } from "../errors.js";

export async function keygenCommand(options: { name: string; out: string; json?: boolean }): Promise<void> {
  let keys: ReturnType<typeof generateKeys>;
  try {
    keys = generateKeys(options.name);
  } catch (err) {
    throw new ScriptlogError("invalid_argument", (err as Error).message, { name: options.name });
  }
  const privateFile = `${options.out}.key`;
  const publicFile = `${options.out}.pub`;
  // "wx": never overwrite a key that may already be signing checkpoints.
  await writeFile(privateFile, keys.privateText, { mode: 0o600, flag: "wx" }).catch((err: NodeJS.ErrnoException) => {
    throw err.code === "EEXIST"
      ? new ScriptlogError("invalid_argument", `${privateFile} exists; keygen never overwrites a key`, { file: privateFile })
      : err;
  });
  await writeFile(publicFile, keys.publicText, { flag: "wx" });
  if (options.json) console.log(JSON.stringify({ private_key: privateFile, public_key: publicFile, verifier_key: keys.publicText.trim() }));
  else console.log(`wrote ${privateFile} (keep it secret; serve with SIGNING_KEY=${privateFile}) and ${publicFile} (for verify --pubkey)`);
}
