// Code summaries and fix strategies on code as scripts are really written: CRLF, aliases, syntax errors.
import { expect } from "chai";
import { librariesUsed, summariseCode } from "../src/analysis/codeSummary.js";
import { fixStrategy } from "../src/analysis/fixStrategy.js";
import { apiMisuse } from "../src/analysis/libraryMisuse.js";

describe("code summaries", () => {
  it("read imports, calls, references and definitions with a real parser, CRLF or not", () => {
    const code = "import os, sys as s\r\nfrom os.path import join as j\r\nimport numpy as np\r\n\r\ndef area(r):\r\n    return np.pi * r ** 2\r\n\r\nx = np.zeros((3, 4))\r\nos.makedirs(j('a', 'b'))\r\n";
    const summary = summariseCode(code);
    expect(summary.imports).to.deep.equal(["from os.path import join as j", "import numpy as np", "import os, sys as s"]);
    expect(summary.modules).to.deep.equal(["numpy", "os", "os.path", "sys"]);
    expect(summary.calls).to.deep.equal(["j", "np.zeros", "os.makedirs"]);
    expect(summary.defined).to.deep.equal(["area", "x"]);
    expect(summary.references).to.include.members(["np.pi", "r", "np.zeros"]);
    expect(summary.syntax_errors).to.equal(0);
    expect(summariseCode(code.replace(/\r\n/g, "\n"))).to.deep.equal(summary);
  });

  it("cope with code that does not parse, as failing code often does", () => {
    const summary = summariseCode("import cv2\nimg = cv2.imread('a.png'\nif img is None\n    print('missing')\nfrom PIL import (Image,\n");
    expect(summary.syntax_errors).to.be.greaterThan(0);
    expect(summary.modules).to.include.members(["cv2"]);
    expect(summary.calls).to.include("cv2.imread");
  });

  it("does not mistake strings or comments for imports, as a regular expression would", () => {
    const summary = summariseCode("# import pandas\nprint('import requests')\ntext = '''\nimport torch\n'''\n");
    expect(summary.modules).to.deep.equal([]);
  });

  it("name libraries from imports, library frames and dotted exception types", () => {
    const summary = summariseCode("from PIL import Image\nimport json\n");
    expect(librariesUsed(summary, ["/usr/lib/python3.11/site-packages/requests/api.py", "/usr/lib/python3.11/json/decoder.py", "main.py"], "urllib3.exceptions.ReadTimeoutError"))
      .to.deep.equal(["PIL", "json", "requests", "urllib3"]);
  });
});

describe("fix strategies", () => {
  const strategy = (wrong: string, right: string) => fixStrategy(wrong, summariseCode(wrong), right, summariseCode(right));

  it("pair a removed call with the similar one that replaced it, and keep hunks to the changed lines", () => {
    const s = strategy("import os\nprint(1)\nos.makedir('out')\nprint(2)\n", "import os\nprint(1)\nos.makedirs('out', exist_ok=True)\nprint(2)\n");
    expect(s.replaced).to.deep.equal([{ from: "os.makedir", to: "os.makedirs" }]);
    expect(s.calls_added).to.deep.equal(["os.makedirs"]);
    expect(s.calls_removed).to.deep.equal(["os.makedir"]);
    expect(s.hunks).to.deep.equal(["@@ -3,1 +3,1 @@\n-os.makedir('out')\n+os.makedirs('out', exist_ok=True)"]);
    expect(s.changes).to.deep.equal([{ kind: "replaced", from: "os.makedir", to: "os.makedirs" }]);
  });

  it("see an added import, a conversion and a new definition; unrelated names are not paired", () => {
    const s = strategy("x = np.zeros(3)\nprint('n=' + len(x))\n", "import numpy as np\n\ndef show(v):\n    print('n=' + str(len(v)))\nx = np.zeros(3)\nshow(x)\n");
    expect(s.imports_added).to.deep.equal(["import numpy as np"]);
    expect(s.calls_added).to.include.members(["str", "show"]);
    expect(s.defined_added).to.deep.equal(["show"]);
    expect(s.replaced).to.deep.equal([]);
  });

  it("attribute API misuse to the library the name was imported from", () => {
    const summary = summariseCode("import numpy as np\nimport os\nx = np.float(3)\n");
    expect(apiMisuse("AttributeError", "module 'numpy' has no attribute 'float'", "x = np.float(3)", summary, ["numpy", "os"]))
      .to.deep.equal({ library: "numpy", object: "module numpy", attribute: "float" });
    const pandas = summariseCode("import pandas as pd\nimport os\ndf = pd.DataFrame()\ndf = df.append({})\n");
    expect(apiMisuse("AttributeError", "'DataFrame' object has no attribute 'append'", "df = df.append({})", pandas, ["os", "pandas"]))
      .to.deep.equal({ library: "pandas", object: "DataFrame", attribute: "append" });
    expect(apiMisuse("AttributeError", "'NoneType' object has no attribute 'shape'", "img.shape", pandas, ["pandas"])).to.equal(null);
  });
});
