import socket

import pytest

from tests.conftest import NetworkBlocked


def test_non_loopback_connections_fail():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(NetworkBlocked):
        sock.connect(("93.184.216.34", 80))
    sock.close()


def test_loopback_connections_are_allowed():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket()
    client.connect(server.getsockname())
    client.close()
    server.close()
