"""The board over which actors on one node exchange their frequent rows (``executors.board``):
slots, signals, a dead peer, the driver's stop; in this process, without Ray."""

import os
import subprocess
import sys
from multiprocessing import shared_memory

import numpy as np
import pytest

from wordvec.core.executors.board import Board, PeerLost

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shared memory and pipes")


@pytest.fixture
def board():
    b = Board.create(3, [5, 4, 0], d=4)  # up to 5, 4 and 0 rows of three matrices
    yield b
    b.close()


FIRST = [0, 10, 0]  # the ids the actors write for each matrix start here


def _post(actor: Board, k: int, value: float) -> None:
    for m, size in enumerate(actor.spec.sizes):
        count, ids, rows = actor.rows(actor.rank, k, m)
        n = max(size - actor.rank, 0)  # each actor moved a different number of rows
        ids[:n] = np.arange(FIRST[m], FIRST[m] + n)
        rows[:n] = value + m
        count[0] = n
    actor.signal()


def test_rows_reach_every_other_actor_and_slots_alternate(board):
    actors = [Board.attach(board.spec, r) for r in range(3)]
    pids = [os.getpid()] * 3
    try:
        for k in range(4):  # two rounds of slots: exchange k writes slot k % 2
            for a in actors:
                _post(a, k, 10.0 * k + a.rank)
            for a in actors:
                a.wait(k, pids)  # returns: all signals are in
                for r in range(3):
                    count, ids, rows = a.rows(r, k, 1)
                    n = int(count[0])
                    assert n == 4 - r and list(ids[:n]) == list(range(10, 10 + n))
                    assert np.all(rows[:n] == 10.0 * k + r + 1)
            # the slot of exchange k - 1 is untouched by exchange k
            if k:
                assert actors[0].rows(2, k - 1, 0)[2][0, 0] == 10.0 * (k - 1) + 2
        # one segment: what actor 1 writes in its slot, actor 0 reads there at once
        actors[1].rows(1, 0, 0)[2][0, 0] = -7.0
        assert actors[0].rows(1, 0, 0)[2][0, 0] == -7.0
    finally:
        for a in actors:
            a.close()


def test_a_dead_peer_or_the_driver_stops_the_wait(board):
    a, b = Board.attach(board.spec, 0), Board.attach(board.spec, 1)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    try:
        _post(b, 0, 1.0)  # actor 1 signals; actor 2 (a dead process) never will
        with pytest.raises(PeerLost, match="actor 2 died"):
            a.wait(0, [os.getpid(), os.getpid(), gone.pid])
        board.stop(True)
        with pytest.raises(PeerLost, match="stopped"):
            a.wait(0, [os.getpid()] * 3)
        board.stop(False)
        a.drain()  # a round starts again: signals from before are forgotten
        _post(b, 0, 2.0)
        _post(Board.attach(board.spec, 2), 0, 3.0)
        a.wait(0, [os.getpid()] * 3)
    finally:
        a.close()
        b.close()


def test_the_driver_removes_the_segment_and_pipes():
    b = Board.create(2, [3], d=2)
    folder = os.path.dirname(b.spec.pipes[0])
    name = b.spec.name
    b.close()
    assert not os.path.exists(folder)
    with pytest.raises(FileNotFoundError):
        shared_memory.SharedMemory(name=name)


def test_gather_touched_is_flatnonzero_and_take():
    """What an actor writes to its slot: the flagged rows of a range in order, flags cleared."""
    from wordvec.kernels.merge import gather_touched

    rng = np.random.default_rng(3)
    w = rng.standard_normal((50, 4), dtype=np.float32)
    flags = (rng.random(50) < 0.4).astype(np.uint8)
    want = 10 + np.flatnonzero(flags[10:40])
    ids, rows = np.zeros(50, np.int32), np.zeros((50, 4), np.float32)
    n = gather_touched(w, flags, 10, 40, ids, rows)
    assert n == want.size and list(ids[:n]) == list(want)
    assert rows[:n].tobytes() == w[want].tobytes()
    assert not flags[10:40].any() and flags[:10].any()


def test_a_board_that_fails_half_made_leaves_nothing(monkeypatch, tmp_path):
    """No named pipes where the temporary files go: the error, and no segment or folder."""
    made = []
    real = shared_memory.SharedMemory

    def record(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    def no_fifo(path, mode=0o666):
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.setattr(shared_memory, "SharedMemory", record)
    monkeypatch.setattr(os, "mkfifo", no_fifo)
    with pytest.raises(OSError, match="not supported"):
        Board.create(2, [3], d=2)
    assert list(tmp_path.iterdir()) == [] and len(made) == 1
    with pytest.raises(FileNotFoundError):
        real(name=made[0].name)
