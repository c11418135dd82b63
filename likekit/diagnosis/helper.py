"""Both cores for the per-chunk stages: this process and one helper process share the chunks.

The stages that read one video at a time run on chunks of whole videos
(:mod:`likekit.diagnosis.stream`), each chunk's result its own: :func:`on_two_cores` works
through a list of calls with this process and one helper, each taking the next call as soon
as it is free, and returns the results in the calls' order (the same as one after the
other: a chunk's result does not depend on who computed it). A helper, not a pool: memory
holds one more chunk's working set and one more interpreter (~170 MB), not two.

The helper is ``python -m likekit.diagnosis.helper``, started afresh (never forked: a fork
of a process with Arrow's threads can deadlock) and fed pickled calls through a pipe, so
that it never imports the caller's ``__main__`` (multiprocessing's spawn re-runs a script
without a ``__main__`` guard) and works where multiprocessing cannot (a daemonic process).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from likekit.diagnosis.stream import release_memory


class Helper:
    """One helper process that runs pickled calls one at a time (:meth:`call`)."""

    def __enter__(self) -> Helper:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "likekit.diagnosis.helper"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.ready = False
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.stdin.close()  # end of calls: the helper exits
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()

    def wait_ready(self) -> bool:
        """Wait until the helper has imported what it runs (False: it ended first)."""
        if not self.ready:
            try:
                self.ready = pickle.load(self.proc.stdout)
            except EOFError:
                return False
        return True

    def call(self, fn: Callable, *args: Any) -> Any:
        """``fn(*args)`` in the helper (``fn`` a module-level function); its exception
        raised here."""
        self.wait_ready()
        pickle.dump((fn, args), self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.proc.stdin.flush()
        try:
            ok, value = pickle.load(self.proc.stdout)
        except EOFError:
            raise RuntimeError(f"the helper process ended (exit code {self.proc.wait()})") from None
        if not ok:
            raise value
        return value


def helper_if(wanted: bool) -> AbstractContextManager[Helper | None]:
    """A :class:`Helper` started now (its interpreter starts while this process works on),
    or None where it is not ``wanted`` (a table of one chunk: no process started)."""
    return Helper() if wanted else nullcontext()


def on_two_cores(
    helper: Helper | None, fn: Callable, calls: list[tuple], done: Callable[[], Any]
) -> list:
    """``[fn(*args) for args in calls]`` (``fn`` a module-level function), worked through
    by this process and ``helper``; ``done()`` after each call. Without a helper, or with
    one call or none, they run here one after the other."""
    if helper is None or len(calls) < 2:
        return [_done(fn(*args), done) for args in calls]
    results: list[Any] = [None] * len(calls)
    todo = iter(range(len(calls)))
    lock = threading.Lock()
    failed: list[BaseException] = []

    def claim() -> int | None:
        with lock:  # the next call not yet taken; none once either side failed
            return None if failed else next(todo, None)

    def work(run: Callable) -> None:
        try:
            while (k := claim()) is not None:
                results[k] = _done(run(fn, *calls[k]), done)
        except BaseException as e:  # raised again in the caller's thread
            with lock:
                failed.append(e)

    def helper_side() -> None:
        # it takes a call once it can start on it: while its interpreter starts, this
        # process takes them (a call it waited on would wait for the start-up)
        if helper.wait_ready():
            work(helper.call)

    # the helper's side waits on its pipe, the GIL released
    thread = threading.Thread(target=helper_side, daemon=True)
    thread.start()
    work(lambda f, *args: f(*args))
    with lock:
        if not helper.ready:  # every call taken here: not worth waiting for its start
            helper.proc.kill()
    thread.join()
    if failed:
        raise failed[0]
    return results


def _done(result: Any, done: Callable[[], Any]) -> Any:
    done()
    return result


def _serve() -> None:
    """The helper's loop: a call from stdin, its result (or exception) to stdout, until
    stdin closes."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what the stages print goes to stderr, never into the results' pipe
    calls = sys.stdin.buffer
    pickle.dump(True, out)  # ready: what the calls need is imported (with this module)
    out.flush()
    while True:
        try:
            fn, args = pickle.load(calls)
        except EOFError:
            return
        try:
            reply = (True, fn(*args))
        except BaseException as e:
            reply = (False, _picklable(e))
        release_memory()  # the chunk's working set, before the next
        pickle.dump(reply, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


def _picklable(e: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(e))
        return e
    except Exception:
        return RuntimeError("".join(traceback.format_exception(e)))


if __name__ == "__main__":
    _serve()
