"""scriptlog client: record every run of a generated script, and fetch the context for the next one.

One stdlib-only file (Python >= 3.9). Copy it next to your runner, or use it from the scriptlog package.

    from scriptlog_client import ScriptlogClient

    client = ScriptlogClient("http://127.0.0.1:8000")
    ctx = client.context(session_id)              # rules learnt from earlier failures, for the system prompt
    result = client.run(generated_code, session_id=session_id, after=previous_log_id)
    if result.status == "failed":
        ...                                       # ask the model for a fix, then run again with after=result.log_id

The file doubles as the bootstrap that captures exceptions at the source:

    SCRIPTLOG_EXCEPTION_FILE=exc.json python3 scriptlog_client.py --bootstrap script.py [args...]

runs script.py with runpy exactly as `python3 script.py [args...]` would (same stdout, stderr and exit
code) and, when an exception escapes it, writes the exception chain as JSON to exc.json: the `exception`
object of POST /api/logs/attempts (see the README's "Logging from your runner").
"""

from __future__ import annotations

import builtins
import json
import os
import sys
from types import TracebackType
from typing import Callable, Optional, Type

# Nothing heavy is imported at module level: as the bootstrap, this module runs before the script, and the
# script should find the interpreter as it would without it.

EXCEPTION_FILE_ENV = "SCRIPTLOG_EXCEPTION_FILE"

# Caps of the exception report, the same as the server's JSON Schema for it (src/events/schemas.ts).
MAX_EXCEPTIONS = 32
MAX_FRAMES = 200
# run_path, _run_module_code, _run_code, and (before 3.12, whose limit counts Python frames only) exec
RUNPY_FRAMES = 4 if sys.version_info < (3, 12) else 3
OUTER_FRAMES_KEPT = 20  # of a longer traceback: the outermost 20 and the innermost 180
MAX_MESSAGE = 10000
MAX_NOTES = 20
MAX_NOTE = 2000
MAX_TEXT = 1000

# Captured stdout and stderr, each: the head and the tail (a traceback is at the end).
CAPTURE_HEAD_BYTES = 16 * 1024
CAPTURE_TAIL_BYTES = 48 * 1024


# --- the exception report -------------------------------------------------------------------------------


def _text(value: object, cap: int) -> str:
    """A string the server can store: capped, and with lone surrogates spelled out."""
    s = value if isinstance(value, str) else str(value)
    if len(s) > cap:
        s = s[:cap]
    return s.encode("utf-8", "backslashreplace").decode("utf-8")


def _printed_type(exc: BaseException) -> str:
    """The exception's name as CPython prints it in a traceback."""
    cls = type(exc)
    module = getattr(cls, "__module__", None)
    qualname = getattr(cls, "__qualname__", cls.__name__)
    return qualname if module in (None, "builtins", "__main__") else f"{module}.{qualname}"


def _message(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError) and exc.msg is not None:
        return _text(exc.msg, MAX_MESSAGE)
    try:
        return _text(str(exc), MAX_MESSAGE)
    except Exception:  # a broken __str__: CPython prints the same placeholder
        return "<exception str() failed>"


def _library_dirs() -> list[str]:
    """Where the standard library and installed packages live: frames there are not the script's own."""
    import sysconfig

    dirs = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(os.path.realpath(path) + os.sep)
    return sorted(dirs)


def _in_app(filename: str, library_dirs: list[str]) -> bool:
    if filename.startswith("<frozen ") or filename == os.path.realpath(__file__):
        return False
    if f"{os.sep}site-packages{os.sep}" in filename or f"{os.sep}dist-packages{os.sep}" in filename:
        return False
    real = os.path.realpath(filename) if not filename.startswith("<") else filename
    return not any(real.startswith(d) for d in library_dirs)


def _frames(tb: TracebackType | None, library_dirs: list[str]) -> tuple[list[dict], int]:
    import traceback

    summaries = traceback.extract_tb(tb)
    omitted = 0
    if len(summaries) > MAX_FRAMES:
        omitted = len(summaries) - MAX_FRAMES
        summaries = summaries[:OUTER_FRAMES_KEPT] + summaries[len(summaries) - (MAX_FRAMES - OUTER_FRAMES_KEPT) :]
    frames = []
    for fs in summaries:
        source = fs.line.strip() if fs.line else None
        frames.append(
            {
                "file": _text(fs.filename, MAX_TEXT),
                "line": fs.lineno,
                "end_line": getattr(fs, "end_lineno", None),  # positions: Python 3.11 on
                "column": getattr(fs, "colno", None),
                "end_column": getattr(fs, "end_colno", None),
                "function": _text(fs.name, MAX_TEXT),
                "source": _text(source, MAX_TEXT) if source else None,
                "in_app": _in_app(fs.filename, library_dirs),
            }
        )
    return frames, omitted


def describe_exception(exc: BaseException) -> dict:
    """The exception and every exception linked to it (cause, context, group members) as a flat list.

    exceptions[0] is `exc`; links are indexes into the list, so cycles and deep chains need no recursion.
    """
    library_dirs = _library_dirs()
    index: dict[int, int] = {}
    found: list[BaseException] = []

    def ref(e: object) -> int | None:
        if not isinstance(e, BaseException):
            return None
        if id(e) in index:
            return index[id(e)]
        if len(found) >= MAX_EXCEPTIONS:
            return None
        index[id(e)] = len(found)
        found.append(e)
        return index[id(e)]

    ref(exc)
    described: list[dict] = []
    i = 0
    while i < len(found):  # breadth-first over the links, each exception once
        e = found[i]
        frames, omitted = _frames(e.__traceback__, library_dirs)
        cls = type(e)
        item: dict = {
            "type": _text(_printed_type(e), 200),
            "module": _text(getattr(cls, "__module__", "") or "", 200),
            "message": _message(e),
            "frames": frames,
            "frames_omitted": omitted,
            "cause": ref(e.__cause__),
            "context": ref(e.__context__),
            "suppress_context": bool(e.__suppress_context__),
        }
        notes = getattr(e, "__notes__", None)
        if isinstance(notes, (list, tuple)):
            item["notes"] = [_text(n, MAX_NOTE) for n in notes[:MAX_NOTES]]
        group = getattr(builtins, "BaseExceptionGroup", None)  # Python 3.11 on
        if group is not None and isinstance(e, group):
            item["members"] = [r for r in (ref(m) for m in e.exceptions) if r is not None]
        if isinstance(e, SyntaxError):
            item["syntax"] = {
                "file": _text(e.filename, MAX_TEXT) if e.filename is not None else None,
                "line": e.lineno if isinstance(e.lineno, int) else None,
                "end_line": getattr(e, "end_lineno", None) if isinstance(getattr(e, "end_lineno", None), int) else None,
                "column": e.offset if isinstance(e.offset, int) else None,
                "end_column": getattr(e, "end_offset", None) if isinstance(getattr(e, "end_offset", None), int) else None,
                "text": _text(e.text.strip("\n"), MAX_TEXT) if isinstance(e.text, str) else None,
            }
        described.append(item)
        i += 1
    return {"python": "%d.%d.%d" % sys.version_info[:3], "exceptions": described}


# --- the bootstrap --------------------------------------------------------------------------------------


def _own_frame(tb: TracebackType) -> bool:
    import runpy

    module_globals = tb.tb_frame.f_globals
    return module_globals is globals() or module_globals is vars(runpy)


def _without_bootstrap(tb: TracebackType | None) -> TracebackType | None:
    """The traceback from the script's first frame on: this file's and runpy's frames are not the script's."""
    while tb is not None and _own_frame(tb):
        tb = tb.tb_next
    return tb


Excepthook = Callable[[Type[BaseException], BaseException, Optional[TracebackType]], object]


class _ScriptExcepthook:
    """Hands the uncaught exception, without the bootstrap's frames, to the excepthook in force."""

    def __init__(self, hook: Excepthook) -> None:
        self.hook = hook

    def __call__(self, exc_type: Type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        tb = _without_bootstrap(tb)
        if isinstance(exc, BaseException):
            exc.__traceback__ = tb  # CPython prints the exception's own traceback
        self.hook(exc_type, exc, tb)


def bootstrap(argv: list[str]) -> None:
    """Runs argv[0] as `python3 argv[0] argv[1:]...` would, recording an uncaught exception first."""
    import runpy

    report_file = os.environ.pop(EXCEPTION_FILE_ENV, None)  # not inherited by the script's own subprocesses
    script = argv[0]
    if not os.path.exists(script):
        program = getattr(sys, "orig_argv", [sys.executable])[0]
        sys.stderr.write(f"{program}: can't open file {os.path.abspath(script)!r}: [Errno 2] No such file or directory\n")
        raise SystemExit(2)
    sys.argv[:] = argv
    sys.path[0] = os.path.dirname(os.path.realpath(script))
    # The script runs a few frames deeper than it would on its own: lend it those frames, so a runaway
    # recursion fails at the same depth of its own code (sys.getrecursionlimit() reads that much higher).
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    sys.setrecursionlimit(sys.getrecursionlimit() + depth + RUNPY_FRAMES)
    # runpy sets sys.argv[0] to the absolute path it runs; CPython leaves it as typed. Put it back just
    # as the script's code starts (the "exec" audit event of the script's own code object).
    path = os.path.abspath(script)
    pending = [True]

    def restore_argv0(event: str, args: tuple) -> None:
        if pending[0] and event == "exec" and getattr(args[0], "co_filename", None) == path:
            pending[0] = False
            sys.argv[0] = script

    sys.addaudithook(restore_argv0)
    try:
        runpy.run_path(path, run_name="__main__")  # CPython runs __main__ by its absolute path
    except SystemExit:
        raise  # an exit, not a failure: the interpreter exits with its code as usual
    except BaseException as exc:
        exc.__traceback__ = _without_bootstrap(exc.__traceback__)
        if report_file:
            try:
                with open(report_file, "w", encoding="utf-8") as f:
                    json.dump(describe_exception(exc), f)
            except Exception:
                pass  # the report is a bonus: never change how the script fails
        sys.excepthook = _ScriptExcepthook(sys.excepthook)
        raise  # the interpreter prints it and exits (1, or by SIGINT for KeyboardInterrupt) as without us


# --- the client -----------------------------------------------------------------------------------------


class ScriptlogError(Exception):
    """An error answer of the scriptlog server: HTTP status, machine-readable code and message."""

    def __init__(self, status: int, code: str, message: str, details: object = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class RunResult:
    """What `ScriptlogClient.run` did: the run itself and how the server recorded it."""

    def __init__(
        self,
        *,
        log_id: str,
        session_id: str,
        status: str,
        return_code: int,
        timed_out: bool,
        stdout: str,
        stderr: str,
        execution_time_seconds: float,
        exception: dict | None,
        error_type: str | None,
        error_category: str | None,
        fixed: list[str],
    ) -> None:
        self.log_id = log_id
        self.session_id = session_id
        #: "failed" or "success"
        self.status = status
        #: the exit code, or minus the signal that ended the script
        self.return_code = return_code
        self.timed_out = timed_out
        self.stdout = stdout
        self.stderr = stderr
        self.execution_time_seconds = execution_time_seconds
        #: the bootstrap's report of the uncaught exception, if one escaped
        self.exception = exception
        self.error_type = error_type
        self.error_category = error_category
        #: the failures of the session this success fixed
        self.fixed = fixed

    def __repr__(self) -> str:
        return f"RunResult(log_id={self.log_id!r}, status={self.status!r}, return_code={self.return_code!r}, error_type={self.error_type!r})"


def _stamp_files(directory: str) -> dict[str, tuple[int, float]]:
    """Size and mtime of every file under directory, by path (as `scriptlog run --out` lists output files)."""
    stamps = {}
    for root, _dirs, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            stamps[path] = (st.st_size, st.st_mtime)
    return stamps


def cap_output(data: bytes) -> str:
    """Captured output as stored: the first 16 KiB and the last 48 KiB, with a line for what was left out."""
    if len(data) > CAPTURE_HEAD_BYTES + CAPTURE_TAIL_BYTES:
        omitted = len(data) - CAPTURE_HEAD_BYTES - CAPTURE_TAIL_BYTES
        marker = f"\n[scriptlog: {omitted} bytes omitted]\n".encode()
        data = data[:CAPTURE_HEAD_BYTES] + marker + data[-CAPTURE_TAIL_BYTES:]
    return data.decode("utf-8", "replace")


class ScriptlogClient:
    """A client of one scriptlog server.

    url: the server's base URL, e.g. "http://127.0.0.1:8000". token: sent as `Authorization: Bearer TOKEN`
    when the server requires one.
    """

    def __init__(self, url: str, token: str | None = None, request_timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.request_timeout = request_timeout
        # The highest seq a write was answered with: reads send it as min_seq, so they see this client's writes
        # (a write is answered once it is in the log, a moment before the read models hold it).
        self.written_seq = 0

    def _request(self, method: str, path: str, body: dict | None = None) -> dict:
        import urllib.error
        import urllib.request

        headers = {"accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["content-type"] = "application/json"
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        if method == "GET" and self.written_seq:
            path += ("&" if "?" in path else "?") + f"min_seq={self.written_seq}"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.request_timeout) as res:
                answer = json.loads(res.read().decode("utf-8"))
                seq = res.headers.get("x-scriptlog-seq", "")
                if method == "POST" and seq.isdigit():
                    self.written_seq = max(self.written_seq, int(seq))
                return answer
        except urllib.error.HTTPError as err:
            raw = err.read().decode("utf-8", "replace")
            try:
                error = json.loads(raw)["error"]
            except Exception:
                raise ScriptlogError(err.code, "http_error", raw[:500] or str(err)) from None
            raise ScriptlogError(err.code, error.get("code", "http_error"), error.get("message", ""), error.get("details")) from None

    def record_attempt(self, **fields: object) -> dict:
        """POST /api/logs/attempts with these fields (status and code required); returns the server's answer:
        {success, log_id, session_id, status, error_type, error_category, fixed}. Send a log_id of your own to
        make retries of the same request idempotent."""
        return self._request("POST", "/api/logs/attempts", dict(fields))

    def log(self, log_id: str) -> dict:
        """GET /api/logs/log/LOG_ID: {"log": the attempt's entry, with everything derived from it}."""
        import urllib.parse

        return self._request("GET", "/api/logs/log/" + urllib.parse.quote(log_id, safe=""))

    def session(self, session_id: str) -> dict:
        """GET /api/logs/session/SESSION_ID: {"session": totals, "attempts": oldest first}."""
        import urllib.parse

        return self._request("GET", "/api/logs/session/" + urllib.parse.quote(session_id, safe=""))

    def context(self, session_id: str | None = None) -> dict:
        """The AI context to put in the model's prompt: {"text": markdown, "version": str | None, ...}.

        Asks GET /api/contexts/current?session_id=S, which hands out the current published context version (or a
        session's experiment arm, with "experiment" and "variant"); record "version" with the attempt as
        context_version. A server without context versions, or with none published yet, gets the generated text
        of GET /api/logs/ai-context instead, with version None.
        """
        import urllib.parse

        qs = "?" + urllib.parse.urlencode({"session_id": session_id}) if session_id is not None else ""
        try:
            answer = self._request("GET", "/api/contexts/current" + qs)
        except ScriptlogError as err:
            if err.status != 404 or not err.message.startswith("no route"):
                raise
            answer = {}
        served = answer.get("context")
        extra = {k: answer[k] for k in ("experiment", "variant", "prompt_version", "ai_model") if answer.get(k) is not None}
        if isinstance(served, dict) and isinstance(served.get("text"), str):
            return {"text": served["text"], "version": served.get("version"), **extra}
        generated = self._request("GET", "/api/logs/ai-context")
        return {"text": generated["context"], "version": None, **extra}

    def run(
        self,
        code_or_path: str,
        session_id: str | None = None,
        after: str | None = None,
        timeout: float = 300.0,
        args: list[str] | None = None,
        python: str | None = None,
        cwd: str | None = None,
        out_dir: str | None = None,
        **fields: object,
    ) -> RunResult:
        """Runs a script (the path of a .py file, or the code itself) under the bootstrap and records it.

        session_id / after (the log_id of the attempt this one retries) link it into a session; timeout
        (seconds) kills the script's process group and records timed_out; cwd is where it runs (default: here);
        a success lists the files it created or changed under out_dir as output_files; further keyword
        arguments (user_prompt, ai_model, image_filename, tags, context_version…) are sent with the attempt.
        """
        import signal
        import subprocess
        import tempfile
        import time
        import uuid

        with tempfile.TemporaryDirectory(prefix="scriptlog-") as tmp:
            if "\n" not in code_or_path and os.path.isfile(code_or_path):
                path = os.path.abspath(code_or_path)
                with open(path, encoding="utf-8", errors="replace") as f:
                    code = f.read()
            else:
                code = code_or_path
                path = os.path.join(tmp, "main.py")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(code)
            report = os.path.join(tmp, "exception.json")
            env = dict(os.environ, **{EXCEPTION_FILE_ENV: report})
            command = [python or sys.executable, os.path.abspath(__file__), "--bootstrap", path, *(args or [])]
            before = _stamp_files(out_dir) if out_dir else {}
            started = time.monotonic()
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True)
            timed_out = False
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)  # the script's children too
                out, err = proc.communicate()
            elapsed = time.monotonic() - started
            exception = None
            if os.path.exists(report):
                try:
                    with open(report, encoding="utf-8") as f:
                        exception = json.load(f)
                except (OSError, ValueError):
                    exception = None

        rc = proc.returncode
        status = "success" if rc == 0 and not timed_out else "failed"
        body: dict = {"status": status, "log_id": str(uuid.uuid4()), "code": code, "stdout": cap_output(out)}
        if session_id is not None:
            body["session_id"] = session_id
        if after is not None:
            body["previous_attempt_id"] = after
        if status == "failed":
            body.update(stderr=cap_output(err), return_code=rc, timed_out=timed_out)
            if exception is not None:
                body["exception"] = exception
        elif out_dir:
            after_run = _stamp_files(out_dir)
            body["output_files"] = sorted(f for f, stamp in after_run.items() if before.get(f) != stamp)[:10000]
        body["execution_time_seconds"] = round(elapsed, 6)
        body.update(fields)
        answer = self.record_attempt(**body)
        return RunResult(
            log_id=answer["log_id"],
            session_id=answer["session_id"],
            status=status,
            return_code=rc,
            timed_out=timed_out,
            stdout=body["stdout"],
            stderr=cap_output(err),
            execution_time_seconds=elapsed,
            exception=exception,
            error_type=answer.get("error_type"),
            error_category=answer.get("error_category"),
            fixed=answer.get("fixed", []),
        )


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--bootstrap":
        bootstrap(sys.argv[2:])
    else:
        sys.stderr.write("usage: SCRIPTLOG_EXCEPTION_FILE=FILE python3 scriptlog_client.py --bootstrap SCRIPT [ARGS...]\n")
        raise SystemExit(2)
