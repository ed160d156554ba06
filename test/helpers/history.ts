// Generated histories: attempts with explicit timestamps, posted to a real server.
import { expect } from "chai";
import { post } from "./server.js";

export const DAY = 86_400_000;

/** Midnight UTC of today, and of `n` days before. */
export function dayStart(daysAgo: number, now = Date.now()): number {
  return Math.floor(now / DAY) * DAY - daysAgo * DAY;
}

export const at = (daysAgo: number, hour: number, minute = 0) =>
  new Date(dayStart(daysAgo) + hour * 3_600_000 + minute * 60_000).toISOString();

/** A failure whose traceback names `error` (e.g. "KeyError: 'height'") at `line`. */
export function failure(error: string, timestamp: string, extra: object = {}): Record<string, unknown> {
  return {
    status: "failed",
    timestamp,
    code: "import json\ncfg = json.load(open('cfg.json'))\nh = cfg['height']\n",
    stderr: `Traceback (most recent call last):\n  File "/tmp/job/main.py", line 3, in <module>\n    h = cfg['height']\n${error}\n`,
    return_code: 1,
    ...extra,
  };
}

export function success(timestamp: string, extra: object = {}): Record<string, unknown> {
  return { status: "success", timestamp, code: "print('ok')\n", output_files: ["out.png"], ...extra };
}

/** Posts every body, `concurrency` at a time (the log group-commits them), and checks each was recorded. */
export async function postAll(url: string, bodies: object[], concurrency = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const res = await post(`${url}/api/logs/attempts`, body);
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Resolves once `check` holds, polling; rejects with `what` after `ms` (a safety net, never the expected path). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
