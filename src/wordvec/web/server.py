"""Running the explorer app with uvicorn: in the foreground (the CLI) or in a background thread.

The socket is bound here, before uvicorn starts, so a port in use is an ``OSError`` the CLI can
report in one line, and port 0 gives a free port whose number is known before the first request.
"""

from __future__ import annotations

import socket
import threading
import time
import webbrowser
from collections.abc import Iterator
from contextlib import contextmanager


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit this: without it a kept-alive client waits ~40 ms per response
    # (Nagle's algorithm holding the body until the headers are acknowledged, delayed ACK)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    sock.listen(128)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _server(app, log_level: str):
    import uvicorn

    # no websockets (the page does not use them); the lifespan holds BLAS to one thread
    config = uvicorn.Config(app, log_level=log_level, ws="none", lifespan="on", access_log=False)
    return uvicorn.Server(config)


def serve(
    app,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    open_browser: bool = False,
    log_level: str = "warning",
    on_ready=None,
) -> None:
    """Serve ``app`` until interrupted. ``on_ready(url)`` is called once it accepts connections;
    ``open_browser`` then also opens the page in the default browser."""
    sock = _bind(host, port)
    url = _url(sock)
    server = _server(app, log_level)

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            if on_ready is not None:
                on_ready(url)
            if open_browser:
                webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


@contextmanager
def running(app, host: str = "127.0.0.1", timeout: float = 30.0) -> Iterator[str]:
    """Run ``app`` on a free port of ``host`` in a daemon thread; yields its base URL and stops
    the server on exit."""
    sock = _bind(host, 0)
    server = _server(app, "warning")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the explorer server did not start")
        time.sleep(0.02)
    try:
        yield _url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
