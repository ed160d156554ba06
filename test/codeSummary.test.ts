// Code summaries and fix strategies on code as scripts are really written: CRLF, aliases, syntax errors.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { librariesUsed, summariseCode, type CodeSummary } from "../src/analysis/codeSummary.js";
import { fixStrategy } from "../src/analysis/fixStrategy.js";
import { apiMisuse } from "../src/analysis/libraryMisuse.js";
import { readCorpus, REPO_ROOT, SEED_LOGS } from "./helpers/corpus.js";

/** Summaries of the same sources by CPython's own parser (the ast module); null where a source does not parse. */
function astSummaries(sources: string[]): Array<CodeSummary | null> {
  const run = spawnSync("python3", [path.join(REPO_ROOT, "test/helpers/code_summary_oracle.py")], {
    input: JSON.stringify(sources),
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  if (run.status !== 0) throw new Error(`the ast oracle failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Array<CodeSummary | null>;
}

/** Every `code` in the original system's logs. */
function seedLogCodes(dir = SEED_LOGS): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return seedLogCodes(file);
    const record = JSON.parse(readFileSync(file, "utf8")) as { code?: unknown };
    return typeof record.code === "string" ? [record.code] : [];
  });
}

// Constructs a token scanner could get wrong, one file each.
const CONSTRUCTS = path.join(REPO_ROOT, "test/fixtures/python-constructs");
const constructSources = () =>
  readdirSync(CONSTRUCTS)
    .sort()
    .map((name) => readFileSync(path.join(CONSTRUCTS, name), "utf8"));

describe("code summaries", () => {
  it("agree with CPython's own parser on every real script in the fixtures and on tricky constructs", function () {
    this.timeout(30_000);
    const constructs = constructSources();
    const sources = [...readCorpus().map((c) => c.code), ...seedLogCodes(), ...constructs];
    const expected = astSummaries(sources);
    let compared = 0;
    sources.forEach((source, i) => {
      if (expected[i] === null) return; // does not parse: see the next tests
      expect(summariseCode(source), source).to.deep.equal(expected[i]);
      compared++;
    });
    expect(expected.slice(-constructs.length)).not.to.include(null);
    expect(compared).to.be.greaterThan(130); // 53 corpus cases, 69 of the 77 seed scripts, every construct
  });

  it("read imports, calls, references and definitions, CRLF or not", () => {
    const code =
      "import os, sys as s\r\nfrom os.path import join as j\r\nimport numpy as np\r\n\r\ndef area(r):\r\n    return np.pi * r ** 2\r\n\r\nx = np.zeros((3, 4))\r\nos.makedirs(j('a', 'b'))\r\n";
    const summary = summariseCode(code);
    expect(summary.imports).to.deep.equal(["from os.path import join as j", "import numpy as np", "import os, sys as s"]);
    expect(summary.modules).to.deep.equal(["numpy", "os", "os.path", "sys"]);
    expect(summary.calls).to.deep.equal(["j", "np.zeros", "os.makedirs"]);
    expect(summary.defined).to.deep.equal(["area", "x"]);
    expect(summary.references).to.include.members(["np.pi", "r", "np.zeros"]);
    expect(summariseCode(code.replace(/\r\n/g, "\n"))).to.deep.equal(summary);
  });

  it("cope with code that does not parse, as failing code often does", () => {
    const summary = summariseCode("import cv2\nimg = cv2.imread('a.png'\nif img is None\n    print('missing')\nfrom PIL import (Image,\n");
    expect(summary.modules).to.include.members(["cv2"]);
    expect(summary.calls).to.include("cv2.imread");
  });

  it("do not let a bracket left open hide the statements after it", () => {
    const summary = summariseCode(
      "import cv2\nimg = cv2.imread('a.png'\nfrom PIL import Image\ndef show(im):\n    return Image.fromarray(im)\n",
    );
    expect(summary.modules).to.deep.equal(["PIL", "cv2"]);
    expect(summary.defined).to.include("show");
    expect(summary.calls).to.include.members(["cv2.imread", "Image.fromarray"]);
  });

  it("does not mistake strings or comments for imports, as a regular expression would", () => {
    const summary = summariseCode("# import pandas\nprint('import requests')\ntext = '''\nimport torch\n'''\n");
    expect(summary.modules).to.deep.equal([]);
  });

  it("name libraries from imports, library frames and dotted exception types", () => {
    const summary = summariseCode("from PIL import Image\nimport json\n");
    expect(
      librariesUsed(
        summary,
        ["/usr/lib/python3.11/site-packages/requests/api.py", "/usr/lib/python3.11/json/decoder.py", "main.py"],
        "urllib3.exceptions.ReadTimeoutError",
      ),
    ).to.deep.equal(["PIL", "json", "requests", "urllib3"]);
  });
});

describe("fix strategies", () => {
  const strategy = (wrong: string, right: string) => fixStrategy(wrong, summariseCode(wrong), right, summariseCode(right));

  it("pair a removed call with the similar one that replaced it, and keep hunks to the changed lines", () => {
    const s = strategy(
      "import os\nprint(1)\nos.makedir('out')\nprint(2)\n",
      "import os\nprint(1)\nos.makedirs('out', exist_ok=True)\nprint(2)\n",
    );
    expect(s.replaced).to.deep.equal([{ from: "os.makedir", to: "os.makedirs" }]);
    expect(s.calls_added).to.deep.equal(["os.makedirs"]);
    expect(s.calls_removed).to.deep.equal(["os.makedir"]);
    expect(s.hunks).to.deep.equal(["@@ -3,1 +3,1 @@\n-os.makedir('out')\n+os.makedirs('out', exist_ok=True)"]);
    expect(s.changes).to.deep.equal([{ kind: "replaced", from: "os.makedir", to: "os.makedirs" }]);
  });

  it("see an added import, a conversion and a new definition; unrelated names are not paired", () => {
    const s = strategy(
      "x = np.zeros(3)\nprint('n=' + len(x))\n",
      "import numpy as np\n\ndef show(v):\n    print('n=' + str(len(v)))\nx = np.zeros(3)\nshow(x)\n",
    );
    expect(s.imports_added).to.deep.equal(["import numpy as np"]);
    expect(s.calls_added).to.include.members(["str", "show"]);
    expect(s.defined_added).to.deep.equal(["show"]);
    expect(s.replaced).to.deep.equal([]);
  });

  it("attribute API misuse to the library the name was imported from", () => {
    const summary = summariseCode("import numpy as np\nimport os\nx = np.float(3)\n");
    expect(
      apiMisuse("AttributeError", "module 'numpy' has no attribute 'float'", "x = np.float(3)", summary, ["numpy", "os"]),
    ).to.deep.equal({ library: "numpy", object: "module numpy", attribute: "float" });
    const pandas = summariseCode("import pandas as pd\nimport os\ndf = pd.DataFrame()\ndf = df.append({})\n");
    expect(
      apiMisuse("AttributeError", "'DataFrame' object has no attribute 'append'", "df = df.append({})", pandas, ["os", "pandas"]),
    ).to.deep.equal({ library: "pandas", object: "DataFrame", attribute: "append" });
    expect(apiMisuse("AttributeError", "'NoneType' object has no attribute 'shape'", "img.shape", pandas, ["pandas"])).to.equal(null);
  });
});
