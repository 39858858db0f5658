"""Two real ``torch.distributed`` processes (gloo, CPU) that each feed a metric their part of the data
and call compute(), which syncs the states with each state's ``dist_reduce_fx``.

The ranks are forked from a *zygote*: a plain subprocess (not multiprocessing, which would re-import the caller's
``__main__``) that imports torch and torchmetrics once, then forks a fresh pair of ranks on request in milliseconds.
A pair is shared by every check of the Python process: each request names the target, so Hypothesis draws and
shrinks at the cost of a message round trip. A pair whose collectives went out of step (a rank aborted, the other
waits forever in gloo) is killed and a new one forked, without importing torch again. Messages are length-prefixed
pickles: to the zygote over its stdin and stdout, to each rank over a Unix socket it connects back on.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import warnings
from datetime import timedelta
from typing import Any, BinaryIO

import numpy as np

WORLD_SIZE = 2
START_TIMEOUT_S = 180.0  # a fresh interpreter importing torch and torchmetrics on a busy machine
CALL_TIMEOUT_S = 60.0
# For a call whose ranks are known to gather states of different ranks (a declared hang: each rank waits in a
# collective the other never joins), how long the pair gets before it is stopped: enough to answer had it not hung.
HANG_TIMEOUT_S = 5.0
SETTLE_S = 2.0  # how long the other ranks get to answer after one raised (see Pool._settle)
_HEADER = struct.Struct("!Q")


class WorkerError(RuntimeError):
    """A worker raised, died, or did not answer in time."""


def _send(stream: BinaryIO, message: Any) -> None:
    payload = pickle.dumps(message)
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def _receive(stream: BinaryIO) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the other side closed the pipe")
    return pickle.loads(stream.read(_HEADER.unpack(header)[0]))


def _log_path(pid: int) -> str:
    """Where rank ``pid`` writes what it prints: a gloo abort's reason (``terminate called after throwing ...``) is
    told in the finding rather than on the user's terminal, as are the library's warnings."""
    return os.path.join(tempfile.gettempdir(), f"conformance-rank-{pid}.log")


def _last_words(pid: int) -> str:
    """The last line a rank printed (its abort's reason), and its log removed."""
    try:
        with open(_log_path(pid), errors="replace") as log:
            lines = [line.strip() for line in log if line.strip()]
        os.remove(_log_path(pid))
    except OSError:
        return ""
    return lines[-1][-300:] if lines else ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def zygote() -> None:
    """The zygote's main loop: import torch and torchmetrics, then fork a rank for each ``(rank, port, address)``
    request, answering with its pid. The ranks' exits are reaped by the kernel (SIGCHLD ignored)."""
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    try:
        import torch
        import torch.distributed
        import torchmetrics  # noqa: F401

        torch.set_num_threads(1)
    except BaseException as error:
        _send(replies, ("error", f"{type(error).__name__}: {error}"))
        return
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    _send(replies, ("ready", None))
    while True:
        try:
            request = _receive(requests)
        except EOFError:
            return
        if request is None:
            return
        rank, port, address = request
        pid = os.fork()
        if pid == 0:  # the rank: its own connection to the pool; the zygote's pipes out of reach of what it prints
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = 1
            try:
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
                os.dup2(os.open(_log_path(os.getpid()), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
                os.dup2(2, 1)
                warnings.simplefilter("ignore")  # as the harness's own process: the library's warnings are noise
                connection = socket.socket(socket.AF_UNIX)
                connection.connect(address)
                stream = connection.makefile("rwb")
                _send(stream, rank)
                serve(rank, port, stream, stream)
                code = 0
            finally:
                os._exit(code)
        _send(replies, ("forked", pid))


def serve(rank: int, port: int, requests: BinaryIO, replies: BinaryIO) -> None:
    """A rank's main loop: join the process group, then answer (spec, init, updates) with compute()'s value."""
    try:
        import torch
        import torch.distributed as dist

        from conformance.usercheck.loading import load_object

        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD_SIZE,
                                timeout=timedelta(seconds=START_TIMEOUT_S))
        _send(replies, ("ready", None))
    except BaseException as error:
        _send(replies, ("error", f"{type(error).__name__}: {error}"))
        return
    classes: dict[str, Any] = {}
    while True:
        try:
            request = _receive(requests)
        except EOFError:
            break
        if request is None:
            break
        spec, init, batches = request
        try:
            if spec not in classes:
                classes[spec] = load_object(spec, "target")
            metric = classes[spec](**init)
            for args, kwargs in batches:
                metric.update(*map(torch.from_numpy, args), **{k: torch.from_numpy(v) for k, v in kwargs.items()})
            value = metric.compute()
            values = value if isinstance(value, (tuple, list)) else (value,)
            values = [v.detach().cpu().numpy() if hasattr(v, "detach") else v for v in values]
            _send(replies, ("value", np.asarray(values if isinstance(value, (tuple, list)) else values[0], np.float64)))
        except BaseException as error:
            _send(replies, ("error", f"{type(error).__name__}: {error}"))
    dist.destroy_process_group()


class Zygote:
    """The subprocess that forks ranks (see :func:`zygote`), started on first use."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        code = "from conformance.usercheck.distributed import zygote; zygote()"
        self.process = subprocess.Popen([sys.executable, "-c", code], env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE)
        self._reply(START_TIMEOUT_S)

    def _reply(self, timeout: float) -> Any:
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            self.close()
            raise WorkerError(f"the torch.distributed zygote did not answer within {timeout:.0f}s")
        try:
            status, payload = _receive(self.process.stdout)
        except (EOFError, pickle.UnpicklingError) as error:
            self.close()
            raise WorkerError(f"the torch.distributed zygote died ({error})") from None
        if status == "error":
            self.close()
            raise WorkerError(payload)
        return payload

    def fork(self, rank: int, port: int, address: str) -> int:
        """A new rank (its pid) that connects back on ``address`` and joins the group on ``port``."""
        _send(self.process.stdin, (rank, port, address))
        return self._reply(CALL_TIMEOUT_S)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.alive:
            try:
                _send(self.process.stdin, None)
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


class Rank:
    """One forked rank: its pid and its connection."""

    def __init__(self, pid: int, connection: socket.socket):
        self.pid, self.connection = pid, connection
        self.stream = connection.makefile("rwb")

    def kill(self) -> None:
        _kill(self.pid)
        self.connection.close()

    def forget(self) -> None:
        """Its log removed, unless a caller reads its last words first (a rank that died)."""
        with contextlib.suppress(OSError):
            os.remove(_log_path(self.pid))

    @property
    def alive(self) -> bool:
        """Whether the rank's end is open (a closed end reads as empty without blocking)."""
        if self.connection.fileno() < 0:
            return False
        readable, _, _ = select.select([self.connection], [], [], 0)
        return not readable or self.connection.recv(1, socket.MSG_PEEK) != b""


class Pool:
    """Two ranks of one gloo process group, forked from the process's zygote."""

    def __init__(self, zygote: Zygote) -> None:
        port = _free_port()
        with tempfile.TemporaryDirectory(prefix="conformance-gloo-") as folder:
            address = os.path.join(folder, "ranks")
            with socket.socket(socket.AF_UNIX) as listener:
                listener.bind(address)
                listener.listen(WORLD_SIZE)
                listener.settimeout(CALL_TIMEOUT_S)
                pids = [zygote.fork(rank, port, address) for rank in range(WORLD_SIZE)]
                connected: dict[int, Rank] = {}
                try:
                    for _ in range(WORLD_SIZE):
                        connection, _ = listener.accept()
                        connection.settimeout(None)
                        rank = Rank(0, connection)
                        number = _receive(rank.stream)
                        rank.pid = pids[number]
                        connected[number] = rank
                except (TimeoutError, EOFError) as error:
                    for pid in pids:
                        _kill(pid)
                    raise WorkerError(f"a forked torch.distributed rank did not connect ({error})") from None
        self.ranks = [connected[rank] for rank in range(WORLD_SIZE)]
        for rank in self.ranks:
            self._reply(rank, START_TIMEOUT_S)

    def _reply(self, rank: Rank, timeout: float) -> Any:
        ready, _, _ = select.select([rank.connection], [], [], timeout) if timeout else ([rank.connection], [], [])
        if not ready:
            self.close(kill=True)
            raise WorkerError(f"a torch.distributed worker did not answer within {timeout:.0f}s")
        try:
            status, payload = _receive(rank.stream)
        except (EOFError, OSError, pickle.UnpicklingError) as error:
            said = _last_words(rank.pid)
            self.close(kill=True)
            raise WorkerError(f"a torch.distributed worker died ({error}){': ' + said if said else ''}") from None
        if status == "error":
            raise WorkerError(payload)
        return payload

    def compute(self, spec: str, init: dict[str, Any],
                parts: list[list[tuple[tuple[np.ndarray, ...], dict[str, np.ndarray]]]],
                timeout: float = CALL_TIMEOUT_S) -> list[np.ndarray]:
        """Rank r makes a new metric and calls ``update(*args, **kwargs)`` for each ``(args, kwargs)`` of arrays in
        ``parts[r]`` (none: compute() without an update); each rank's compute() value, within ``timeout`` seconds."""
        if not self.alive:
            raise WorkerError("the torch.distributed workers have stopped")
        for rank, part in zip(self.ranks, parts, strict=True):
            _send(rank.stream, (spec, init, part))
        answers: dict[int, Any] = {}
        while len(answers) < len(self.ranks):
            pending = {r.connection: number for number, r in enumerate(self.ranks) if number not in answers}
            ready, _, _ = select.select(list(pending), [], [], timeout)
            if not ready:
                self.close(kill=True)
                raise WorkerError(f"a torch.distributed worker did not answer within {timeout:.0f}s")
            for connection in ready:
                number = pending[connection]
                try:
                    answers[number] = self._reply(self.ranks[number], 0)
                except WorkerError as error:
                    other = self._settle(number)  # a rank that raised because its peer died: say why the peer died
                    raise (WorkerError(f"{error} (the other rank: {other})") if other else error) from None
        return [answers[number] for number in range(len(self.ranks))]

    def _settle(self, failed: int) -> str | None:
        """After rank ``failed`` raised: where every other rank answers soon (it raised too, before any collective),
        the pair stays in step; else they wait in a collective the failed rank never joins (until gloo's timeout),
        so both are stopped now and the next call forks a new pair. What another rank said as it died or stalled."""
        for number, rank in enumerate(self.ranks):
            if number == failed or not self.ranks:
                continue
            try:
                self._reply(rank, SETTLE_S)
            except WorkerError as error:
                if "did not answer" in str(error) or "died" in str(error):
                    return str(error)  # _reply stopped the pair
        if not self.alive:
            self.close(kill=True)
        return None

    @property
    def alive(self) -> bool:
        return bool(self.ranks) and all(rank.alive for rank in self.ranks)

    def close(self, kill: bool = False) -> None:
        """Ask the ranks to leave (``kill``: stop them at once, as one stuck in a collective cannot read)."""
        for rank in self.ranks:
            if not kill:
                with contextlib.suppress(OSError, ValueError):
                    _send(rank.stream, None)
            rank.kill() if kill else rank.connection.close()
            rank.forget()
        self.ranks = []


_zygote: Zygote | None = None
_shared: Pool | None = None


def shared_pool() -> Pool:
    """The process's pair of ranks, forked on first use (and again after a pair is stopped), closed at exit."""
    global _zygote, _shared
    if _shared is None or not _shared.alive:
        if _zygote is None or not _zygote.alive:
            _zygote = Zygote()
            atexit.register(_zygote.close)
        _shared = Pool(_zygote)
        atexit.register(_shared.close)
    return _shared
