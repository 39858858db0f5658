"""Two real ``torch.distributed`` processes (gloo, CPU) that each feed a metric their part of the data
and call compute(), which syncs the states with each state's ``dist_reduce_fx``.

The workers are plain subprocesses (not multiprocessing, which would re-import the caller's
``__main__``), started once per Python process and shared by every check in it: each request names
the target, so Hypothesis draws and shrinks at the cost of a message round trip, not a process start.
Messages are length-prefixed pickles over the workers' stdin and stdout.
"""

from __future__ import annotations

import atexit
import os
import pickle
import select
import socket
import struct
import subprocess
import sys
from datetime import timedelta
from typing import Any, BinaryIO

import numpy as np

WORLD_SIZE = 2
START_TIMEOUT_S = 180.0  # two fresh interpreters importing torch and torchmetrics on a busy machine
CALL_TIMEOUT_S = 60.0
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(rank: int, port: int) -> None:
    """A worker's main loop: join the process group, then answer (spec, init, updates) with compute()'s value."""
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # what the user's code prints must not corrupt the replies
    try:
        import torch
        import torch.distributed as dist

        from conformance.usercheck.loading import load_object

        torch.set_num_threads(1)
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


class Pool:
    """Two ranks of one gloo process group."""

    def __init__(self) -> None:
        port = _free_port()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        code = ("import sys; from conformance.usercheck.distributed import serve; "
                "serve(int(sys.argv[1]), int(sys.argv[2]))")
        self.processes = [subprocess.Popen([sys.executable, "-c", code, str(rank), str(port)], env=env,
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                          for rank in range(WORLD_SIZE)]
        for process in self.processes:
            self._reply(process, START_TIMEOUT_S)

    def _reply(self, process: subprocess.Popen, timeout: float) -> Any:
        ready, _, _ = select.select([process.stdout], [], [], timeout) if timeout else ([process.stdout], [], [])
        if not ready:
            self.close(kill=True)
            raise WorkerError(f"a torch.distributed worker did not answer within {timeout:.0f}s")
        try:
            status, payload = _receive(process.stdout)
        except (EOFError, pickle.UnpicklingError) as error:
            self.close(kill=True)
            raise WorkerError(f"a torch.distributed worker died ({error})") from None
        if status == "error":
            raise WorkerError(payload)
        return payload

    def compute(self, spec: str, init: dict[str, Any],
                parts: list[list[tuple[tuple[np.ndarray, ...], dict[str, np.ndarray]]]]) -> list[np.ndarray]:
        """Rank r makes a new metric and calls ``update(*args, **kwargs)`` for each ``(args, kwargs)`` of arrays in
        ``parts[r]`` (none: compute() without an update); each rank's compute() value."""
        if not self.alive:
            raise WorkerError("the torch.distributed workers have stopped")
        for process, part in zip(self.processes, parts, strict=True):
            _send(process.stdin, (spec, init, part))
        answers: dict[int, Any] = {}
        while len(answers) < len(self.processes):
            pending = {p.stdout: rank for rank, p in enumerate(self.processes) if rank not in answers}
            ready, _, _ = select.select(list(pending), [], [], CALL_TIMEOUT_S)
            if not ready:
                self.close(kill=True)
                raise WorkerError(f"a torch.distributed worker did not answer within {CALL_TIMEOUT_S:.0f}s")
            for stream in ready:
                rank = pending[stream]
                try:
                    answers[rank] = self._reply(self.processes[rank], 0)
                except WorkerError as error:
                    self._settle(rank)
                    raise error from None
        return [answers[rank] for rank in range(len(self.processes))]

    def _settle(self, failed: int) -> None:
        """After rank ``failed`` raised: where every other rank answers soon (it raised too, before any collective),
        the pair stays in step; else they wait in a collective the failed rank never joins (until gloo's timeout),
        so both are stopped now and the next call starts a new pair."""
        for rank, process in enumerate(self.processes):
            if rank == failed or not self.processes:
                continue
            try:
                self._reply(process, SETTLE_S)
            except WorkerError as error:
                if "did not answer" in str(error) or "died" in str(error):
                    return  # _reply stopped the pair
        if not self.alive:
            self.close(kill=True)

    @property
    def alive(self) -> bool:
        return bool(self.processes) and all(p.poll() is None for p in self.processes)

    def close(self, kill: bool = False) -> None:
        """Ask the workers to leave (``kill``: stop them at once, as one stuck in a collective cannot read)."""
        if kill:
            for process in self.processes:
                process.kill()
                process.wait()
            self.processes = []
            return
        for process in self.processes:
            try:
                _send(process.stdin, None)
                process.stdin.close()
            except (OSError, ValueError):
                pass
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes = []


_shared: Pool | None = None


def shared_pool() -> Pool:
    """The process's worker pair, started on first use and stopped at exit."""
    global _shared
    if _shared is None or not _shared.alive:
        _shared = Pool()
        atexit.register(_shared.close)
    return _shared
