import io

import pytest

from erlen.exceptions import BadRequest
from erlen.exceptions import ClientDisconnected
from erlen.exceptions import RequestEntityTooLarge
from erlen.streams import LimitedStream
from erlen.streams import get_input_stream


class TrickleInput:
    """A wsgi.input that hands out at most ``step`` bytes per read, like a socket."""

    def __init__(self, data: bytes, step: int = 3) -> None:
        self._buf = io.BytesIO(data)
        self.step = step
        self.reads = 0

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        if size < 0:
            size = self.step
        return self._buf.read(min(size, self.step))

    def readline(self, size: int = -1) -> bytes:
        return self._buf.readline(size)


def environ(body: bytes = b"", **extra):
    env = {"wsgi.input": io.BytesIO(body)}
    env.update(extra)
    return env


def test_limited_stream_stops_at_the_limit():
    raw = io.BytesIO(b"hello worldNEXT REQUEST")
    stream = LimitedStream(raw, 11)
    assert stream.read(5) == b"hello"
    assert stream.tell() == 5
    assert not stream.exhausted
    assert stream.read() == b" world"
    assert stream.exhausted
    assert stream.read() == b""
    assert stream.read(10) == b""
    assert raw.read() == b"NEXT REQUEST"


def test_limited_stream_lines():
    stream = LimitedStream(io.BytesIO(b"a\nbb\nccc\nzzz"), 9)
    assert stream.readline() == b"a\n"
    assert list(stream) == [b"bb\n", b"ccc\n"]
    stream = LimitedStream(io.BytesIO(b"a\nbb\nccc\nzzz"), 9)
    assert stream.readlines() == [b"a\n", b"bb\n", b"ccc\n"]
    stream = LimitedStream(io.BytesIO(b"abcdef\n"), 7)
    assert stream.readline(3) == b"abc"


def test_limited_stream_accepts_short_reads_from_the_socket():
    trickle = TrickleInput(b"0123456789", step=3)
    stream = LimitedStream(trickle, 10)
    assert stream.read() == b"0123456789"


def test_short_body_is_client_disconnected():
    stream = LimitedStream(io.BytesIO(b"only 10 b!"), 100)
    with pytest.raises(ClientDisconnected) as info:
        stream.read()
    assert info.value.code == 400
    stream = LimitedStream(io.BytesIO(b""), 5)
    with pytest.raises(ClientDisconnected):
        stream.read(1)
    with pytest.raises(ClientDisconnected):
        LimitedStream(io.BytesIO(b""), 5).readline()


def test_get_input_stream_bounds_by_content_length():
    stream = get_input_stream(environ(b'{"a": 1}garbage', CONTENT_LENGTH="8"), None)
    assert stream.read() == b'{"a": 1}'


def test_get_input_stream_short_body_is_400():
    stream = get_input_stream(environ(b"abc", CONTENT_LENGTH="10"), 100)
    with pytest.raises(ClientDisconnected):
        stream.read()


@pytest.mark.parametrize("value", ["abc", "-1", "+5", "1_0", "1e3", "٣", "9" * 40])
def test_malformed_content_length_is_400(value):
    with pytest.raises(BadRequest, match="Content-Length"):
        get_input_stream(environ(b"x", CONTENT_LENGTH=value), None)


def test_declared_length_over_limit_is_413_before_reading():
    class Exploding:
        def read(self, size=-1):
            raise AssertionError("must not read")

    env = {"wsgi.input": Exploding(), "CONTENT_LENGTH": "1001"}
    with pytest.raises(RequestEntityTooLarge):
        get_input_stream(env, 1000)
    assert get_input_stream({**env, "CONTENT_LENGTH": "0"}, 1000).read() == b""


def test_no_length_and_not_terminated_is_an_empty_stream():
    assert get_input_stream(environ(b"never read"), 10).read() == b""
    assert (
        get_input_stream(environ(b"never read", CONTENT_LENGTH=" "), 10).read() == b""
    )


def test_chunked_body_within_limit():
    env = environ(b"x" * 1000, **{"wsgi.input_terminated": True})
    assert get_input_stream(env, 1000).read() == b"x" * 1000
    env = environ(b"x" * 5000, **{"wsgi.input_terminated": True})
    assert get_input_stream(env, None).read() == b"x" * 5000


def test_chunked_body_over_limit_is_413_while_reading():
    trickle = TrickleInput(b"x" * 100_000, step=1000)
    env = {"wsgi.input": trickle, "wsgi.input_terminated": True}
    stream = get_input_stream(env, 5000)
    with pytest.raises(RequestEntityTooLarge):
        stream.read()
    # It stopped right after crossing the limit instead of buffering everything.
    assert trickle.reads <= 7

    stream = get_input_stream(environ(b"x" * 20, **{"wsgi.input_terminated": True}), 10)
    assert stream.read(10) == b"x" * 10
    with pytest.raises(RequestEntityTooLarge):
        stream.read(10)
