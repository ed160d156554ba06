// Reads may lag appends (another replica wrote them, or they are still being projected): every answer says
// which seq its read models reflect (a write: the seq that holds it), and a read with ?min_seq=N waits —
// boundedly — until they reach N.
import type { Context, Next } from "koa";
import { ScriptlogError } from "../errors.js";
import type { ScriptlogService } from "../service/scriptlogService.js";

export const SEQ_HEADER = "X-Scriptlog-Seq";
const PLAIN_INTEGER = /^(0|[1-9][0-9]{0,14})$/;

export function readYourWrites(service: ScriptlogService, maxWaitMs: number) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const minSeq = ctx.query.min_seq;
    if (minSeq !== undefined && ctx.method === "GET") {
      if (typeof minSeq !== "string" || !PLAIN_INTEGER.test(minSeq)) {
        throw new ScriptlogError("invalid_query", "min_seq must be one plain decimal integer", { parameter: "min_seq" });
      }
      // The routes check their own parameters; this one is answered here.
      const rest = { ...ctx.query };
      delete rest.min_seq;
      ctx.query = rest;
      if (!(await service.projectedUntil(Number(minSeq), maxWaitMs))) {
        throw new ScriptlogError("not_ready", `the read models reached seq ${service.queries.seq}, not ${minSeq}, within ${maxWaitMs} ms`, {
          seq: service.queries.seq,
          min_seq: Number(minSeq),
        });
      }
    }
    try {
      await next();
    } finally {
      // A write answers with a seq that holds it, which may be ahead of the read models.
      ctx.set(SEQ_HEADER, String(Math.max(service.queries.seq, (ctx.state.writtenSeq as number | undefined) ?? 0)));
    }
  };
}
