// The mistakes `scriptlog simulate` makes: each a script with the mistake, the traceback CPython 3.11 printed
// when it ran (recorded once; test/simulate.test.ts runs the scripts again with python3 and checks the
// exception lines still match), and the corrected script. How often each is made is the generator's business.

export interface Mistake {
  name: string;
  /** How often a script makes it when the context does not warn against it. */
  rate: number;
  wrong: string;
  stderr: string;
  right: string;
}

const traceback = (line: number, source: string, marker: string, exception: string) =>
  `Traceback (most recent call last):\n  File "/tmp/job/main.py", line ${line}, in <module>\n    ${source}\n    ${marker}\n${exception}\n`;

export const MISTAKES: Mistake[] = [
  {
    name: "os.makedir",
    rate: 0.45,
    wrong: 'import os\n\nout = "tiles"\nos.makedir(out)\nprint("saved to", out)\n',
    stderr: traceback(
      4,
      "os.makedir(out)",
      "^^^^^^^^^^",
      "AttributeError: module 'os' has no attribute 'makedir'. Did you mean: 'makedirs'?",
    ),
    right: 'import os\n\nout = "tiles"\nos.makedirs(out, exist_ok=True)\nprint("saved to", out)\n',
  },
  {
    name: "numpy alias",
    rate: 0.35,
    wrong: "import numpy\n\nvalues = np.arange(12)\nprint(values.mean())\n",
    stderr: traceback(3, "values = np.arange(12)", "         ^^", "NameError: name 'np' is not defined"),
    right: "import numpy as np\n\nvalues = np.arange(12)\nprint(values.mean())\n",
  },
  {
    name: "str + int",
    rate: 0.3,
    wrong: 'count = 3\nprint("tiles: " + count)\n',
    stderr: traceback(2, 'print("tiles: " + count)', "      ~~~~~~~~~~^~~~~~~", 'TypeError: can only concatenate str (not "int") to str'),
    right: 'count = 3\nprint("tiles: " + str(count))\n',
  },
  {
    name: "reshape",
    rate: 0.25,
    wrong: "import numpy as np\n\ngrid = np.arange(12).reshape(5, 3)\nprint(grid.shape)\n",
    stderr: traceback(
      3,
      "grid = np.arange(12).reshape(5, 3)",
      "       ^^^^^^^^^^^^^^^^^^^^^^^^^^^",
      "ValueError: cannot reshape array of size 12 into shape (5,3)",
    ),
    right: "import numpy as np\n\ngrid = np.arange(12).reshape(4, 3)\nprint(grid.shape)\n",
  },
];

/** Scripts written without a mistake (the tasks of the sessions that go right at once). */
export const CLEAN_SCRIPTS = MISTAKES.map((m) => m.right);
