// Redaction before append: a corpus of real-looking secrets that must be cut out, and ordinary code and log lines
// that must be kept; then the whole path through a real server (idempotent retries, counts in the event).
import { expect } from "chai";
import path from "node:path";
import { Redactor, redactAttempt } from "../src/analysis/redaction.js";
import type { RunningServer } from "../src/cli/serve.js";
import { get, post, removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";

// Each sample: the text, the secret that must not survive, the rule expected to catch it.
const MUST_REDACT: Array<[string, string, string]> = [
  ["aws_access_key_id = AKIAQ3EGRZ7WLXN4KJHS", "AKIAQ3EGRZ7WLXN4KJHS", "credential"],
  ["aws_secret_access_key = 9xQvT2bLk8mZr4YpW1nC7sDfH3jKa6UeG5oXiR0t", "9xQvT2bLk8mZr4YpW1nC7sDfH3jKa6UeG5oXiR0t", "aws"],
  ["boto3.client('s3', aws_access_key_id='AKIAQ3EGRZ7WLXN4KJHS')", "AKIAQ3EGRZ7WLXN4KJHS", "credential"],
  ["requests.get('https://admin:hunter2@db.internal.example.com/x')", "hunter2", "basicauth"],
  ["psql postgres://app:Zq9v-33xP@10.0.0.5:5432/prod", "Zq9v-33xP", "database-connection-string"],
  ["mount smb://backup:Zq9v-33xP@10.0.0.5/share", "Zq9v-33xP", "url-password"],
  [
    "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U' https://api",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
    "bearer",
  ],
  [
    "client = OpenAI(api_key=os.environ.get('X') or 'sk-proj-Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5kL7n')",
    "sk-proj-Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5kL7n",
    "openai",
  ],
  ["g = Github('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')", "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", "github"],
  [
    "WebClient('xoxb-12345678901-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx')",
    "xoxb-12345678901-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "slack",
  ],
  [
    "KEY = '''-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HecdEm\nzqYPGrPsnnx6nD7d9aBq3GtHn3SiS3lOtPVmNLJNIm0LzQ==\n-----END RSA PRIVATE KEY-----'''\n",
    "MIIEowIBAAKCAQEA1c7",
    "private-key",
  ],
  ['password = "hunter2"', "hunter2", "credential"],
  ["DB_PASSWORD=s3cr3t-pa55 python app.py", "s3cr3t-pa55", "credential"],
  ['{"client_secret": "q8Tz1-Vb7Lm2"}', "q8Tz1-Vb7Lm2", "credential"],
  ["session signature: Xk9fQ2mZ7bLp4Rt8Wv1Yc6Hn3Jd5Gs0A", "Xk9fQ2mZ7bLp4Rt8Wv1Yc6Hn3Jd5Gs0A", "high-entropy"],
];

const MUST_KEEP = [
  "token = tokens[0]",
  "INFO wrote out.png sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "commit 8dae29f0c1b2a3d4e5f60718293a4b5c6d7e8f90 fixed the key lookup",
  "def auth(user, password):\n    return check(user, password)\n",
  "auth = requests.auth.HTTPBasicAuth(user, pw)\napi_key = os.environ['API_KEY']\n",
  'password = ""\ntoken = None\nsecret = get_secret()\n',
  "import numpy as np\nfor i in range(10):\n    print(np.mean([i, i + 1]))\n",
  "KeyError: 'token'\n",
  "https://example.com/path?page=2",
];

describe("redaction: the corpus", function () {
  this.timeout(20_000);
  const redactor = new Redactor();

  for (const [text, secret, rule] of MUST_REDACT) {
    it(`cuts out ${rule}: ${text.slice(0, 50).replace(/\n/g, " ")}…`, async () => {
      const { text: out, counts } = await redactor.redact(text);
      expect(out).to.not.include(secret);
      expect(out).to.include("[REDACTED:");
      expect(Object.keys(counts), JSON.stringify(out)).to.include(rule);
    });
  }

  it("keeps ordinary code and log lines as they are", async () => {
    for (const text of MUST_KEEP) expect((await redactor.redact(text)).text).to.equal(text);
  });

  it("names rules without leaking what they matched, and counts each secret once", async () => {
    const { text, counts } = await redactor.redact('password = "hunter2"\nx = 1\npassword = "hunter2"\n');
    expect(text).to.equal('password = "[REDACTED:credential]"\nx = 1\npassword = "[REDACTED:credential]"\n');
    expect(counts).to.deep.equal({ credential: 2 });
  });

  it("takes extra secret formats by prefix, and leaves allowlisted strings alone", async () => {
    const custom = new Redactor({ extraPrefixes: [{ name: "acme", prefix: "acme_live_" }], allowlist: ["hunter2"] });
    const { text, counts } = await custom.redact('k = acme_live_4f9Qz81 + ""\npassword = "hunter2"\n');
    expect(text).to.equal('k = [REDACTED:acme] + ""\npassword = "hunter2"\n');
    expect(counts).to.deep.equal({ acme: 1 });
  });

  // Each once took seconds to minutes (every opening searched the rest of the text, every prefix the rest of
  // its token, every field every finding); the suite's time limit stands for "it ends".
  it("reads a megabyte of private-key openings with no end, a prefix repeated through one long token, and many secrets over thousands of frame lines in one walk each", async () => {
    const openings = await redactor.redact("-----BEGIN RSA PRIVATE KEY-----\n".repeat(30_000));
    expect(openings.counts).to.deep.equal({ "private-key": 1 });
    const custom = new Redactor({ extraPrefixes: [{ name: "acme", prefix: "acme_" }], allowlist: [] });
    const token = await custom.redact("x " + "acme_".repeat(120_000) + " y");
    expect(token).to.deep.equal({ text: "x [REDACTED:acme] y", counts: { acme: 1 } });
    const secret = "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";
    const frames = Array.from({ length: 200 }, (_, line) => ({ file: "main.py", line, function: "f", source: "x = 1" }));
    const exceptions = Array.from({ length: 32 }, () => ({ type: "ValueError", message: "bad", frames }));
    const { redactions } = await redactAttempt(redactor, {
      code: "x = 1",
      stdout: `${secret}\n`.repeat(3_000),
      exception: { exceptions },
    });
    expect(redactions).to.deep.equal({ github: 3_000 });
  });

  it("redacts every free-text field of an attempt: code, outputs, prompt, exception messages and frame lines", async () => {
    const secret = "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";
    const { attempt, redactions } = await redactAttempt(redactor, {
      code: `t = '${secret}'`,
      user_prompt: `use ${secret}`,
      stdout: secret,
      stderr: secret,
      error_message: secret,
      exception: {
        exceptions: [
          {
            type: "ValueError",
            message: secret,
            notes: [secret],
            frames: [{ file: "main.py", line: 1, function: "<module>", source: `t = '${secret}'` }],
          },
        ],
      },
    });
    expect(JSON.stringify(attempt)).to.not.include(secret);
    expect(redactions).to.deep.equal({ github: 8 });
  });
});

describe("redaction: before append, through the API", function () {
  this.timeout(30_000);
  let server: RunningServer;
  before(async () => {
    server = await startInProcess(path.join(tempDir(), "events"));
  });
  after(async () => {
    await server?.stop();
    removeTempDirs();
  });

  it("stores the redacted attempt with its counts, and a retry of the same body is still the same request", async () => {
    const body = {
      status: "failed",
      log_id: "leaky",
      code: "import requests\nrequests.get('https://admin:hunter2@host.example.com/')\n",
      stderr: "requests.exceptions.ConnectionError: https://admin:hunter2@host.example.com/\n",
      return_code: 1,
    };
    const first = await post(`${server.url}/api/logs/attempts`, body);
    expect(first.status).to.equal(201);
    const again = await post(`${server.url}/api/logs/attempts`, body);
    expect([again.status, again.headers.get("idempotent-replay")]).to.deep.equal([201, "true"]);
    const changed = await post(`${server.url}/api/logs/attempts`, { ...body, code: "print(1)\n" });
    expect(changed.status).to.equal(409);
    const entry = (await get(`${server.url}/api/logs/log/leaky`)).body.log;
    expect(JSON.stringify(entry)).to.not.include("hunter2");
    expect(entry.code).to.include("[REDACTED:basicauth]");
    expect(entry.redactions).to.deep.equal({ basicauth: 2 });
    const raw = await (await fetch(`${server.url}/api/logs/events`)).text();
    expect(raw).to.not.include("hunter2");
  });
});
