"""The frequent rows that Ray actors on one node exchange between the steps of a round, over
shared memory instead of Ray's object store (``RayExecutor``, ``exchange="auto"``).

The driver creates a *board* (``Board.create``): one shared-memory segment holding, for each
actor, two slots (the exchanges alternate between them), each with per matrix the count, ids
and values of the frequent rows the actor moved in a step; and one named pipe per actor,
through which the others tell it that their rows are written (two bytes: the sender's rank).
An actor (``Board.attach``) writes its rows into its slot, signals every other actor, waits for
their signals and reads their slots where they lie: no task, no copy into the object store, no
fresh memory a step. Two slots suffice: an actor writes slot ``k % 2`` at exchange ``k`` only
after every other has signalled exchange ``k - 1``, which each does after it has read the
slots of exchange ``k - 2``.

A peer that dies leaves the others waiting for its signal: they look at the peers' processes
every ``POLL_S`` seconds and raise ``PeerLost``, and the driver redoes the round. The driver
can also stop every waiting actor (``stop``: a flag in the segment's first bytes).

POSIX only (``multiprocessing.shared_memory``, ``os.mkfifo``); every actor must share the
driver's node, which ``RayExecutor`` checks.
"""

from __future__ import annotations

import os
import select
import shutil
import tempfile
from collections.abc import Sequence
from multiprocessing import shared_memory
from typing import NamedTuple

import numpy as np

POLL_S = 0.2  # how often a waiting actor checks that its peers are alive
ALIGN = 64


class PeerLost(RuntimeError):
    """A peer died while this actor waited for its rows."""


class Spec(NamedTuple):
    """What an actor needs to attach: the segment's name, the pipes (one per rank), how many
    frequent rows each matrix has, the dimension."""

    name: str
    pipes: list[str]
    sizes: list[int]
    d: int


def _slot_bytes(sizes: Sequence[int], d: int) -> list[int]:
    """Byte offsets, within a slot, of each matrix's (count, ids, rows); the last entry is the
    slot's size."""
    offsets, at = [], 0
    for h in sizes:
        offsets.append(at)
        at += -(-(8 + 4 * h + 4 * h * d) // ALIGN) * ALIGN
    return [*offsets, at]


class Board:
    """A segment of ``replicas x 2`` slots and ``replicas`` pipes (see the module)."""

    def __init__(self, shm: shared_memory.SharedMemory, spec: Spec, rank: int | None):
        self.shm, self.spec, self.rank = shm, spec, rank
        self._offsets = _slot_bytes(spec.sizes, spec.d)
        self._fds: list[int] = []
        self._heard = np.zeros(len(spec.pipes), np.int64)  # signals received from each rank
        self._rest = b""
        self._owner = rank is None
        self._dir = os.path.dirname(spec.pipes[0]) if spec.pipes else None
        self._stop = np.ndarray((1,), np.int64, shm.buf, 0)  # != 0: waiting actors give up

    # -- the driver -----------------------------------------------------------------------------
    @classmethod
    def create(cls, replicas: int, sizes: Sequence[int], d: int) -> Board:
        """A board for ``replicas`` actors exchanging up to ``sizes[m]`` frequent rows of each
        matrix ``m``."""
        size = ALIGN + _slot_bytes(sizes, d)[-1] * 2 * replicas
        shm = shared_memory.SharedMemory(create=True, size=max(size, 1))
        folder = None
        try:
            folder = tempfile.mkdtemp(prefix="wordvec-board-")
            pipes = [os.path.join(folder, f"{r}.fifo") for r in range(replicas)]
            for p in pipes:
                os.mkfifo(p, 0o600)
        except OSError:  # nothing left behind
            shm.close()
            shm.unlink()
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        return cls(shm, Spec(shm.name, pipes, [int(h) for h in sizes], d), None)

    def stop(self, on: bool) -> None:
        """Make every actor waiting on this board raise ``PeerLost`` (``on``), or stop that."""
        self._stop[0] = int(on)

    def close(self) -> None:
        """Detach; the driver also removes the segment and the pipes."""
        for fd in self._fds:
            os.close(fd)
        self._fds = []
        del self._stop  # no view may outlive the mapping
        self.shm.close()
        if self._owner:
            self.shm.unlink()
            if self._dir:
                shutil.rmtree(self._dir, ignore_errors=True)

    # -- an actor -------------------------------------------------------------------------------
    @classmethod
    def attach(cls, spec: Spec, rank: int) -> Board:
        try:
            shm = shared_memory.SharedMemory(name=spec.name, track=False)  # Python >= 3.13
        except TypeError:  # not tracked either: a tracker removes what it tracks on exit
            from multiprocessing import resource_tracker

            register = resource_tracker.register
            resource_tracker.register = lambda name, rtype: None
            try:
                shm = shared_memory.SharedMemory(name=spec.name)
            finally:
                resource_tracker.register = register
        board = cls(shm, spec, rank)
        # read and write ends at once: opening never blocks, whoever comes first
        board._fds = [os.open(p, os.O_RDWR | os.O_NONBLOCK) for p in spec.pipes]
        board.drain()
        return board

    def drain(self) -> None:
        """Forget every signal (a round starts again after a fault: nobody writes now)."""
        fd = self._fds[self.rank]
        while True:
            try:
                if not os.read(fd, 1 << 16):
                    break
            except BlockingIOError:
                break
        self._heard[:] = 0
        self._rest = b""

    def rows(self, rank: int, k: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Views of the slot of ``rank`` for exchange ``k``, matrix ``m``: (count int64[1],
        ids int32[h], rows float32[h, d])."""
        h, d = self.spec.sizes[m], self.spec.d
        base = ALIGN + (rank * 2 + k % 2) * self._offsets[-1] + self._offsets[m]
        buf = self.shm.buf
        count = np.ndarray((1,), np.int64, buf, base)
        ids = np.ndarray((h,), np.int32, buf, base + 8)
        rows = np.ndarray((h, d), np.float32, buf, base + 8 + 4 * h)
        return count, ids, rows

    def signal(self) -> None:
        """Tell every other actor that this one's rows of the current exchange are written."""
        msg = int(self.rank).to_bytes(2, "little")
        for r, fd in enumerate(self._fds):
            if r != self.rank:
                os.write(fd, msg)

    def wait(self, k: int, pids: Sequence[int]) -> None:
        """Until every other actor has signalled exchange ``k`` (0-based); ``PeerLost`` when
        one of their processes (``pids``, by rank) is gone."""
        fd = self._fds[self.rank]
        others = [r for r in range(len(self._heard)) if r != self.rank]
        while any(self._heard[r] <= k for r in others):
            ready, _, _ = select.select([fd], [], [], POLL_S)
            if not ready:
                if self._stop[0]:
                    raise PeerLost(f"stopped by the driver during exchange {k}")
                lost = [r for r in others if self._heard[r] <= k and not _alive(pids[r])]
                if lost:
                    raise PeerLost(f"actor {lost[0]} died during exchange {k}")
                continue
            try:
                data = self._rest + os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            n = len(data) // 2
            senders = np.frombuffer(data[: 2 * n], "<u2")
            np.add.at(self._heard, senders.astype(np.int64), 1)
            self._rest = data[2 * n :]


def _alive(pid: int) -> bool:
    """Whether process ``pid`` (on this node) still runs: not gone, not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:  # no /proc (macOS): kill(0) is all there is
        return True
