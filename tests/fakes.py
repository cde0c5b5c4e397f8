"""Stand-ins for servers that misbehave, for the tests of what the portal does then."""

import socket
import threading


class SilentServer:
    """A TCP server on a free port of 127.0.0.1 that accepts connections and reads what it is sent,
    but never answers: a Redis (or any server) that hangs without closing its connections."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _address = self.listener.accept()
            except OSError:
                return  # closed
            self.held.append(conn)
            threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    @staticmethod
    def _drain(conn: socket.socket):
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass

    def close(self):
        self.listener.close()
        for conn in self.held:
            conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]
