"""A small threaded TCP proxy a test controls, to cut a service off from its database.

Why: "the database went away mid-run" must be tested without stopping the machine's shared
PostgreSQL server. The service is pointed at the proxy; ``stop()`` closes the listening
socket and every live connection (so pooled connections die under the service's feet and
new ones are refused), and ``start()`` on the same port brings the database back.
``hang()`` cuts the live connections too but keeps the port open without ever answering:
new connections complete the TCP handshake and then wait, as with a server that is up but
stuck, which only a client-side connect timeout ends.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from types import TracebackType

_CHUNK = 64 * 1024


class TcpProxy:
    """Forwards ``host:port`` to ``target``; the port is picked on the first ``start()`` (or
    given) and kept, so a client configured once reaches the target again after a restart.
    """

    def __init__(
        self,
        target: tuple[str, int] = ("127.0.0.1", 5432),
        host: str = "127.0.0.1",
        port: int = 0,
        connect_timeout: float = 5.0,
    ) -> None:
        self.target = target
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._listener: socket.socket | None = None
        self._silent: socket.socket | None = None  # hang(): listening, never accepting
        self._acceptor: threading.Thread | None = None
        self._stopping = threading.Event()
        self.accepted = 0  # connections forwarded since creation (tests can check reuse)

    @property
    def running(self) -> bool:
        return self._listener is not None

    def start(self) -> TcpProxy:
        """Listen (again) and forward new connections. Idempotent."""
        if self._listener is not None:
            return self
        self._close_silent()
        listener = self._listen()
        self._stopping = threading.Event()
        self._listener = listener
        self._acceptor = threading.Thread(
            target=self._accept_loop,
            args=(listener, self._stopping),
            name=f"tcp-proxy-accept-{self.port}",
            daemon=True,
        )
        self._acceptor.start()
        return self

    def hang(self) -> None:
        """Cut every live connection and keep the port open without ever answering: new
        connections are queued by the kernel and never served."""
        self.stop()
        self._silent = self._listen()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening and cut every live connection, both sides. Idempotent."""
        self._close_silent()
        listener, acceptor = self._listener, self._acceptor
        self._listener = self._acceptor = None
        self._stopping.set()
        if acceptor is not None:
            acceptor.join(timeout)  # it polls, so it sees the event within a tick
        if listener is not None:
            listener.close()
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
            threads, self._threads = list(self._threads), set()
        for sock in sockets:
            _kill(sock)
        for thread in threads:
            thread.join(timeout)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals ----------------------------------------------------------------------------

    def _listen(self) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # The port must be reusable at once after stop(): closed connections linger in
        # TIME_WAIT on it.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self.host, self.port))
            listener.listen(128)
        except OSError:
            listener.close()
            raise
        self.port = listener.getsockname()[1]
        return listener

    def _close_silent(self) -> None:
        silent, self._silent = self._silent, None
        if silent is not None:
            silent.close()  # queued, never-accepted connections are reset

    def _accept_loop(self, listener: socket.socket, stopping: threading.Event) -> None:
        # Polling with select rather than blocking in accept(): closing a socket from another
        # thread does not reliably wake a blocked accept() on every platform.
        while not stopping.is_set():
            try:
                readable, _, _ = select.select([listener], [], [], 0.05)
                if not readable:
                    continue
                client, _ = listener.accept()
            except OSError:
                return
            if stopping.is_set():
                _kill(client)
                return
            self._forward(client, stopping)

    def _forward(self, client: socket.socket, stopping: threading.Event) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=self.connect_timeout)
            upstream.settimeout(None)
        except OSError:
            _kill(client)  # the target is down: the client sees its connection closed
            return
        with self._lock:
            if stopping.is_set():  # stop() ran while we were connecting
                _kill(client)
                _kill(upstream)
                return
            self._sockets.update((client, upstream))
            self.accepted += 1
            for src, dst in ((client, upstream), (upstream, client)):
                thread = threading.Thread(
                    target=self._pipe,
                    args=(src, dst),
                    name=f"tcp-proxy-pipe-{self.port}",
                    daemon=True,
                )
                self._threads.add(thread)
                thread.start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        """Copy one direction until either side closes; then close both, so the peer of a
        half-dead pair learns at once."""
        try:
            while True:
                data = src.recv(_CHUNK)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _kill(src)
            _kill(dst)
            with self._lock:
                self._sockets.discard(src)
                self._sockets.discard(dst)
                self._threads.discard(threading.current_thread())


def _kill(sock: socket.socket) -> None:
    """Shut down (wakes a thread blocked in recv on it) and close; errors mean it already
    is."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
