"""The login limit holds under parallel attempts: thirty wrong passwords for one user at the same moment get at
most five password checks, on SQLite and on PostgreSQL."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from engine.accounts import passwords
from engine.accounts.service import Accounts, LoginRefused
from engine.clock import VirtualClock
from engine.persistence.tables import audit_log
from engine.services import Engine
from tests.web_login import ensure_user

PARALLEL = 30


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def test_thirty_parallel_wrong_passwords_get_at_most_five_checks(make_engine: Callable[..., Engine], clock: VirtualClock,
                                                                 db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(clock=clock, database_url=db_url)
    ensure_user(engine, "target", "supervisor")
    checks: list[str] = []
    real_verify = passwords.verify_password

    def counted(*args: Any) -> bool:
        checks.append("check")
        return real_verify(*args)

    monkeypatch.setattr(passwords, "verify_password", counted)
    accounts = Accounts(engine.store, clock)
    barrier = threading.Barrier(PARALLEL)
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            accounts.authenticate("target", f"Wrong-password-{n}", address=f"10.0.0.{n}")
        except LoginRefused as refused:
            outcomes.append("throttled" if refused.retry_after else "wrong")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checks) <= 5
    assert Counter(outcomes) == Counter({"wrong": len(checks), "throttled": PARALLEL - len(checks)})
    with engine.store.reading() as tx:
        audited = Counter(tx.c.execute(sa.select(audit_log.c.action).where(audit_log.c.actor == "target")).scalars())
    assert audited == Counter({"login.failed": len(checks), "login.throttled": PARALLEL - len(checks)})
