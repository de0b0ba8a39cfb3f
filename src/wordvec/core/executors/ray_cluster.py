"""Joining a Ray cluster, and the driver's warm actors (``RayExecutor``, ``cluster_input``).

``connect`` joins the cluster an address names, or starts a local one, and fails within seconds
with one line (``ClusterUnreachable``) where no cluster answers: ``ray.init`` alone would retry
for minutes. ``spawn``/``retire``/``release`` keep this driver's idle actors warm (Numba loaded)
from one run to the next.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Sequence

from wordvec.core.executors.ray_actor import Replica

MISSING = "training on a cluster needs Ray: pip install 'wordvec[ray]'"
try:
    import ray
except ImportError:  # one clear line, not a traceback into Ray's absence
    raise ImportError(MISSING) from None

PROBE_SECONDS = 3.0  # how long a cluster's address may take to accept a connection (``connect``)


def require_ray() -> None:
    """Raise ``MISSING`` in one line unless Ray can be imported now (before any work)."""
    try:
        import ray  # noqa: F401 (only whether it imports)
    except ImportError:
        raise ImportError(MISSING) from None


class ClusterUnreachable(ConnectionError):
    """No Ray cluster answers at the address to join (``connect``): one line saying where and
    what to do, raised within seconds (``ray.init`` would retry for minutes)."""


_LOCAL = 'give no address (`--ray` alone, cluster="ray") to start a local one'


def connect(address: str | None) -> None:
    """Join the cluster ``address`` ("ray": the one of ``RAY_ADDRESS`` or of the last ``ray
    start`` on this machine, else a new local one; "ray:HOST:PORT" or "ray:auto"), unless this
    process is connected already. Raises ``ClusterUnreachable`` when no cluster answers there
    (or the one this process joined is gone): the address is probed first, since ``ray.init``
    would retry it for minutes."""
    if ray.is_initialized():
        _check_joined()
        return
    target = None
    if address and address.startswith("ray:"):
        target = address[4:] or None
    gcs = _gcs_address(target)
    if gcs is not None:
        env = os.environ.get("RAY_ADDRESS")
        if target not in (None, "auto"):
            where = target if target == gcs else f"{target} ({gcs})"
            todo = f"start one there with `ray start --head --port {_port(gcs)}`, or {_LOCAL}"
        elif env:
            shown = env if env == gcs else f"{env} ({gcs})"
            where = f"{shown}, the address in RAY_ADDRESS"
            todo = (
                "start one there with `ray start --head`, or unset RAY_ADDRESS to start a local one"
            )
        else:
            where = f"{gcs}, where the last `ray start` on this machine started one"
            todo = "start it again with `ray start --head`, or `ray stop` to forget it"
        _probe(gcs, where, todo)
    try:
        ray.init(address=target, include_dashboard=False, log_to_driver=False)
    except ConnectionError as e:  # it accepts connections, but is no Ray cluster (or went away)
        if gcs is None:
            raise
        raise ClusterUnreachable(f"no Ray cluster answers at {where} ({e}): {todo}") from None


def _gcs_address(target: str | None) -> str | None:
    """The HOST:PORT that ``ray.init(address=target)`` dials (a local name as the machine's
    address, as Ray does), or None when it starts a new local cluster."""
    if target is not None and "://" in target:  # a Ray Client address: ray://HOST:PORT
        return target.split("://", 1)[1].rstrip("/")
    try:  # Ray's own resolution: RAY_ADDRESS, the last `ray start`, "auto", localhost
        from ray._private.services import canonicalize_bootstrap_address
    except ImportError:  # a Ray whose internals moved: the address as given
        return None if target in (None, "auto", "local") else target
    try:
        return canonicalize_bootstrap_address(target)
    except ConnectionError:  # "auto", and no cluster found on this machine
        raise ClusterUnreachable(
            f"no Ray cluster found on this machine for address "
            f"{target!r}: start one with `ray start --head`, or "
            f"{_LOCAL}"
        ) from None
    except ValueError:
        raise ValueError(f"Ray address {target!r} is not HOST:PORT (e.g. 10.0.0.1:6379)") from None


def _port(gcs: str) -> str:
    return gcs.rpartition(":")[2]


def _probe(gcs: str, where: str, todo: str) -> None:
    """Raise ``ClusterUnreachable`` (naming ``where``, saying ``todo``) unless something
    accepts a TCP connection at ``gcs`` (HOST:PORT) within ``PROBE_SECONDS``."""
    host, _, port = gcs.rpartition(":")
    host = host.strip("[]")  # an IPv6 address: [::1]:6379
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"Ray address {where} is not HOST:PORT (e.g. 10.0.0.1:6379)")
    try:
        socket.create_connection((host, int(port)), timeout=PROBE_SECONDS).close()
    except OSError as e:
        why = "no answer" if isinstance(e, TimeoutError) else e.strerror or str(e) or "no answer"
        raise ClusterUnreachable(f"no Ray cluster answers at {where} ({why}): {todo}") from None


def _check_joined() -> None:
    """The cluster this process joined still answers; if it went away, leave it (a later
    ``connect`` joins or starts another) and raise ``ClusterUnreachable``."""
    try:
        gcs = ray.get_runtime_context().gcs_address
    except Exception:  # no address to check: Ray itself will say what is wrong
        return
    try:
        _probe(gcs, gcs, "")
    except ClusterUnreachable:
        _IDLE.clear()  # actors of the cluster that is gone
        ray.shutdown()
        raise ClusterUnreachable(
            f"the Ray cluster this process joined at {gcs} no longer "
            f"answers: start one with `ray start --head`, or "
            f"{_LOCAL}"
        ) from None


# idle actors of this driver, by CPUs reserved: a process stays warm (Numba loaded) from one
# run to the next (``release`` gives them back to the cluster)
_IDLE: dict[float, list] = {}


def spawn(rank: int, num_cpus: float, fresh: bool = False):
    """A ``Replica`` actor: an idle warm one of this driver, emptied, unless ``fresh``."""
    idle = _IDLE.get(num_cpus, [])
    while idle and not fresh:
        actor = idle.pop()
        try:
            ray.get(actor.reset.remote(rank))
            return actor
        except ray.exceptions.RayActorError:
            continue  # died while idle
    deadline = time.monotonic() + 10.0  # a killed actor's CPUs come back a little later
    while (free := ray.available_resources().get("CPU", 0.0)) < num_cpus:
        if time.monotonic() < deadline:
            time.sleep(0.1)
            continue
        total = ray.cluster_resources().get("CPU", 0.0)
        raise ValueError(
            f"an actor needs {num_cpus:g} CPU; {free:g} of the Ray cluster's "
            f"{total:g} are free (fewer actors, or num_cpus)"
        )
    cls = ray.remote(Replica).options(num_cpus=num_cpus, max_restarts=0, max_task_retries=0)
    return cls.remote(rank)


def retire(actors: Sequence, num_cpus: float) -> None:
    """Keep ``actors`` (alive, their work done) warm for the next run of this driver."""
    _IDLE.setdefault(num_cpus, []).extend(actors)


def release() -> None:
    """End this driver's idle actors, freeing their CPUs on the cluster."""
    for actors in _IDLE.values():
        for a in actors:
            ray.kill(a)
    _IDLE.clear()
