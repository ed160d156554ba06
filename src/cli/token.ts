// `scriptlog token create|list|revoke`: the API tokens the server checks requests against. A token's secret is
// printed once, at creation; the tokens file keeps only its sha256.
import type { Config } from "../config.js";
import { ScriptlogError } from "../errors.js";
import { createToken, isScope, readTokens, revokeToken, SCOPES } from "../service/tokens.js";

export async function tokenCreateCommand(config: Config, options: { scope: string; name: string; json?: boolean }): Promise<void> {
  if (!isScope(options.scope)) {
    throw new ScriptlogError("invalid_argument", `--scope must be one of ${SCOPES.join(", ")}, not '${options.scope.slice(0, 80)}'`, {
      scope: options.scope,
    });
  }
  const file = config.security.tokensFile;
  const secret = await createToken(file, options.name, options.scope);
  if (options.json) console.log(JSON.stringify({ name: options.name, scope: options.scope, token: secret, tokens_file: file }));
  else {
    console.log(secret);
    console.error(
      `token '${options.name}' (scope ${options.scope}) added to ${file}; it is shown this once: send it as Authorization: Bearer <token>`,
    );
  }
}

export function tokenListCommand(config: Config, options: { json?: boolean }): void {
  const tokens = readTokens(config.security.tokensFile).map(({ name, scope, created_at }) => ({ name, scope, created_at }));
  if (options.json) return console.log(JSON.stringify({ tokens_file: config.security.tokensFile, tokens }));
  if (tokens.length === 0) return console.log(`no tokens in ${config.security.tokensFile}: the server is open (on loopback only)`);
  for (const t of tokens) console.log(`${t.name}\t${t.scope}\t${t.created_at}`);
}

export async function tokenRevokeCommand(config: Config, name: string, options: { json?: boolean }): Promise<void> {
  const revoked = await revokeToken(config.security.tokensFile, name);
  if (options.json) console.log(JSON.stringify({ revoked: revoked.name, scope: revoked.scope }));
  else console.log(`revoked '${revoked.name}' (scope ${revoked.scope}); requests with it are refused from now on`);
}
