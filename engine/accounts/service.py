"""Creating users, changing them, and checking a login against the password and the rate limit.

Every change and every login (successful, failed or refused by the limit) is written to the audit log in the
same transaction as the change itself."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from engine.accounts import passwords
from engine.accounts.users import ADMIN, User, validate_user
from engine.clock import Clock
from engine.domain.errors import DubanError, InvalidInput, UnknownUnit
from engine.persistence import account_store
from engine.persistence.store import SqlStore, SqlTransaction

log = logging.getLogger("duban.accounts")

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20


class LoginRefused(DubanError):
    """Wrong username or password, an inactive user, or too many failures (then `retry_after` is set)."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnknownUser(InvalidInput, LookupError):
    def __init__(self, username: str) -> None:
        super().__init__(f"没有用户 {username!r} (unknown user)")
        self.username = username


@dataclass(frozen=True)
class UserChange:
    display_name: str | None = None
    role: str | None = None
    unit_code: str | None = None
    active: bool | None = None


class Accounts:
    def __init__(self, store: SqlStore, clock: Clock) -> None:
        self.store, self.clock = store, clock

    def get(self, user_id: int) -> User | None:
        with self.store.reading() as tx:
            found = account_store.find_user(tx.c, user_id=user_id)
        return found[0] if found else None

    def by_username(self, username: str) -> User | None:
        with self.store.reading() as tx:
            found = account_store.find_user(tx.c, username=username)
        return found[0] if found else None

    def list(self) -> list[User]:
        with self.store.reading() as tx:
            return account_store.list_users(tx.c)

    def create(self, *, username: str, display_name: str, role: str, password: str, unit_code: str | None = None,
               actor: str = "system") -> User:
        validate_user(username, display_name, role, unit_code)
        passwords.check_strength(password)
        now = self.clock.now()
        with self.store.transaction() as tx:
            if account_store.find_user(tx.c, username=username) is not None:
                raise InvalidInput(f"用户名 {username} 已存在 (username already taken)")
            if unit_code and tx.get_unit(unit_code) is None:
                raise UnknownUnit(unit_code)
            user_id = account_store.insert_user(tx.c, {
                "username": username, "display_name": display_name.strip(), "role": role, "unit_code": unit_code,
                "password_hash": passwords.hash_password(password), "active": True, "session_version": 1,
                "created_at": now})
            tx.audit(now, actor, "user.created", None, {"username": username, "role": role, "unit": unit_code})
            found = account_store.find_user(tx.c, user_id=user_id)
        assert found is not None
        log.info("user created", extra={"username": username, "role": role, "actor": actor})
        return found[0]

    def change(self, username: str, change: UserChange, *, actor: str) -> User:
        """Change the name, role, unit or active flag; a change of role, unit or active ends the user's sessions."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            user = self._user(tx, username)
            role = change.role or user.role
            unit_code = change.unit_code if change.role is not None or change.unit_code is not None else user.unit_code
            if role != "unit":
                unit_code = None
            display_name = change.display_name if change.display_name is not None else user.display_name
            active = user.active if change.active is None else change.active
            validate_user(username, display_name, role, unit_code)
            if unit_code and tx.get_unit(unit_code) is None:
                raise UnknownUnit(unit_code)
            if user.role == ADMIN and user.active and (role != ADMIN or not active) \
                    and account_store.count_admins(tx.c) <= 1:
                raise InvalidInput("不能停用或降级最后一个管理员 (the last active admin must stay)")
            values: dict[str, object] = {"display_name": display_name.strip(), "role": role, "unit_code": unit_code,
                                         "active": active}
            changed = {k: v for k, v in values.items() if getattr(user, k) != v}
            if not changed:
                return user
            if changed.keys() & {"role", "unit_code", "active"}:
                values["session_version"] = user.session_version + 1
            account_store.update_user(tx.c, user.id, values)
            tx.audit(now, actor, "user.changed", None, {"username": username, **changed})
            found = account_store.find_user(tx.c, user_id=user.id)
        assert found is not None
        return found[0]

    def set_password(self, username: str, password: str, *, actor: str) -> None:
        """A new password; the user's other sessions end."""
        passwords.check_strength(password)
        with self.store.transaction() as tx:
            user = self._user(tx, username)
            account_store.update_user(tx.c, user.id, {"password_hash": passwords.hash_password(password),
                                                      "session_version": user.session_version + 1})
            tx.audit(self.clock.now(), actor, "user.password_set", None, {"username": username})

    def authenticate(self, username: str, password: str, *, address: str) -> User:
        """The user when the password is right; LoginRefused otherwise. After 5 failures for a name, or 20 from
        an address, within 15 minutes, logins are refused until the window has passed (every web process shares
        the count: it is in the database). Counting and recording the attempt happen in one serialized
        transaction, committed before the password is checked (scrypt takes ~60 ms, outside any transaction):
        an attempt counts as failed until its password proves right, so parallel attempts cannot slip past the
        limit together."""
        now = self.clock.now()
        username = (username or "").strip()[:64]
        attempt = 0
        with self.store.transaction() as tx:
            account_store.serialize_attempts(tx.c, tx.is_postgres)
            by_name, by_address = account_store.recent_failures(tx.c, since=now - WINDOW, username=username,
                                                                address=address)
            throttled = by_name >= MAX_FAILURES_PER_USER or by_address >= MAX_FAILURES_PER_ADDRESS
            if throttled:
                tx.audit(now, username or "-", "login.throttled", None, {"address": address})
            else:
                attempt = account_store.record_attempt(tx.c, username=username, address=address, at=now,
                                                       succeeded=False)
                account_store.forget_attempts_before(tx.c, now - 8 * WINDOW)
            found = account_store.find_user(tx.c, username=username) if username else None
        if throttled:
            log.warning("login throttled", extra={"username": username, "address": address})
            raise LoginRefused("登录失败次数过多，请 15 分钟后再试 (too many failed logins; try again in 15 minutes)",
                               retry_after=int(WINDOW.total_seconds()))
        if found is None:
            passwords.dummy_verify(password)
        ok = found is not None and found[0].active and passwords.verify_password(found[1], password)
        with self.store.transaction() as tx:
            tx.audit(now, username or "-", "login.succeeded" if ok else "login.failed", None, {"address": address})
            if ok and found is not None:
                account_store.attempt_succeeded(tx.c, attempt)
                account_store.update_user(tx.c, found[0].id, {"last_login_at": now})
        if not ok or found is None:
            log.warning("login failed", extra={"username": username, "address": address})
            raise LoginRefused("用户名或密码错误 (wrong username or password)")
        log.info("login", extra={"username": username, "address": address})
        return found[0]

    def logged_out(self, user: User, *, address: str) -> None:
        """Signing out ends every session of the user (a copied cookie is worthless afterwards)."""
        with self.store.transaction() as tx:
            found = account_store.find_user(tx.c, user_id=user.id)
            if found is not None:
                account_store.update_user(tx.c, user.id, {"session_version": found[0].session_version + 1})
            tx.audit(self.clock.now(), user.username, "logout", None, {"address": address})

    def _user(self, tx: SqlTransaction, username: str) -> User:
        found = account_store.find_user(tx.c, username=username)
        if found is None:
            raise UnknownUser(username)
        return found[0]
