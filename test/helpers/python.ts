// Runs a script with the real python3 and shapes the outcome as the POST /api/logs/attempts body a runner would send.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export function runPython(code: string) {
  const dir = mkdtempSync(path.join(tmpdir(), "scriptlog-run-"));
  try {
    writeFileSync(path.join(dir, "main.py"), code);
    // The timeout is a backstop against a hung script, not a deadline: a loaded machine is slow to start python3.
    const p = spawnSync("python3", ["main.py"], { cwd: dir, encoding: "utf8", timeout: 300_000 });
    return p.status === 0
      ? { status: "success", code, stdout: p.stdout, output_files: [] }
      : { status: "failed", code, stderr: p.stderr, stdout: p.stdout, return_code: p.status ?? 1 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
