// The learning loop's running example: a script calls os.makedir (no such function) and the fix calls os.makedirs.
// Two fixed sessions of it make a verified rule; tests tag these attempts with contexts and experiments.

export const MAKEDIR_RULE = "AttributeError: module 'os' has no attribute 'makedir'";

export const makedirFailure = (session_id: string, extra: object = {}) => ({
  status: "failed",
  session_id,
  code: "import os\nos.makedir('out')\n",
  stderr:
    "Traceback (most recent call last):\n  File \"/tmp/job/main.py\", line 2, in <module>\n    os.makedir('out')\n" +
    "AttributeError: module 'os' has no attribute 'makedir'. Did you mean: 'makedirs'?\n",
  return_code: 1,
  ...extra,
});

export const makedirFix = (session_id: string, extra: object = {}) => ({
  status: "success",
  session_id,
  code: "import os\nos.makedirs('out', exist_ok=True)\n",
  ...extra,
});
