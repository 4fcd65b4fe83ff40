"""The Redis lock store under contention (real Redis): every ticket is issued once, a finished ticket never
takes a waiting one with it, and the queue goes when nobody waits."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.lock_store import AtomicRedisLockStore
from tests.conftest import IN_CI


@pytest.fixture
def store() -> AtomicRedisLockStore:
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
    except redis.exceptions.RedisError as problem:
        if IN_CI:
            pytest.fail(f"Redis must run in CI: {problem}")
        pytest.skip(f"no Redis here: {problem}")
    return AtomicRedisLockStore(host="127.0.0.1", port=6379, db=1, key_prefix=f"test{uuid.uuid4().hex[:8]}")


def test_tickets_issued_at_the_same_moment_are_all_different(store: AtomicRedisLockStore) -> None:
    conversation = "web:contended"
    with ThreadPoolExecutor(max_workers=16) as pool:
        tickets = list(pool.map(lambda _: store.issue_ticket(conversation), range(200)))
    assert sorted(tickets) == list(range(200))
    lock = store.get_lock(conversation)
    assert lock is not None and [ticket.number for ticket in lock.tickets] == list(range(200))

    with ThreadPoolExecutor(max_workers=16) as pool:  # finishing while others are issued loses no one
        finished = pool.map(lambda ticket: store.cleanup(conversation, ticket), range(100))
        issued = list(pool.map(lambda _: store.issue_ticket(conversation), range(50)))
        list(finished)
    lock = store.get_lock(conversation)
    assert lock is not None
    assert sorted(ticket.number for ticket in lock.tickets) == list(range(100, 200)) + sorted(issued)
    assert sorted(issued) == list(range(200, 250))

    for ticket in list(range(100, 250)):
        store.cleanup(conversation, ticket)
    assert store.get_lock(conversation) is None  # nobody waits: the queue is gone


def test_a_custom_type_in_endpoints_builds_it(tmp_path) -> None:
    from rasa.core.lock_store import LockStore
    from rasa.utils.endpoints import EndpointConfig

    config = EndpointConfig(url="127.0.0.1", type="bot.lock_store.AtomicRedisLockStore", port=6379, db=1,
                            key_prefix="lichtpunt")
    built = LockStore.create(config)
    assert isinstance(built, AtomicRedisLockStore) and built.key_prefix == "lichtpunt:lock:"
