"""Commands packed by hiredis are the bytes redis-py's own asyncio packer writes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio.connection import Connection, UnixDomainSocketConnection
from redis.exceptions import DataError

from service.settings import RedisSettings
from service.store.redis.connection import connect, pack_with_hiredis

WORDS = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
NAMES = st.sampled_from(["EVALSHA", "SCRIPT LOAD", "GET", b"HSET", "CLIENT KILL"])


def hiredis_connection(base: type) -> object:
    class Pool:
        connection_class = base

    pool = Pool()
    pack_with_hiredis(pool)
    return pool.connection_class()


@given(NAMES, st.lists(WORDS, max_size=12))
def test_the_same_bytes_as_redis_py(name, words):
    ours = hiredis_connection(Connection)
    theirs = Connection()
    assert b"".join(ours.pack_commands([(name, *words)])) == b"".join(
        theirs.pack_commands([(name, *words)])
    )


@pytest.mark.parametrize("word", [None, True, object()])
def test_a_word_redis_cannot_take_is_refused_as_redis_py_refuses_it(word):
    with pytest.raises(DataError):
        Connection().pack_command("SET", "k", word)
    with pytest.raises(DataError):
        hiredis_connection(Connection).pack_command("SET", "k", word)


def test_the_single_server_client_packs_with_hiredis_over_tcp_and_unix_sockets():
    for url, base in (
        ("redis://127.0.0.1:1/0", Connection),
        ("unix:///tmp/none.sock", UnixDomainSocketConnection),
    ):
        pool = connect(RedisSettings(url=url)).connection_pool
        assert issubclass(pool.connection_class, base)
        assert pool.connection_class is not base
        pack_with_hiredis(pool)  # twice: no second layer
        assert pool.connection_class.__mro__.count(base) == 1
