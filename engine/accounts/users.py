"""Users and roles. A unit user is bound to one handling unit and sees nothing of another unit's orders."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from engine.domain.errors import InvalidInput

SUPERVISOR, UNIT, LEADER, ADMIN = "supervisor", "unit", "leader", "admin"
ROLE_LABELS = {SUPERVISOR: "督办员", UNIT: "承办单位", LEADER: "领导", ADMIN: "管理员"}
_USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{3,64}$")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    unit_code: str | None
    active: bool
    session_version: int
    created_at: datetime
    last_login_at: datetime | None = None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def scope_unit(self) -> str | None:
        """The one unit whose orders this user may see, or None for every unit."""
        return self.unit_code if self.role == UNIT else None

    def may_see_unit(self, unit_code: str) -> bool:
        return self.role != UNIT or unit_code == self.unit_code

    @property
    def sees_personal_data(self) -> bool:
        """Supervisors and the handling unit call citizens back; leadership and admins see masked numbers."""
        return self.role in (SUPERVISOR, UNIT)


def validate_user(username: str, display_name: str, role: str, unit_code: str | None) -> None:
    if not isinstance(username, str) or not _USERNAME.match(username):
        raise InvalidInput("用户名需 3–64 个字母、数字或 _ . - (a username is 3 to 64 letters, digits, _ . -)")
    if not isinstance(display_name, str) or not display_name.strip() or len(display_name) > 100:
        raise InvalidInput("姓名不能为空，且不超过 100 个字符 (a display name of 1 to 100 characters is required)")
    if role not in ROLE_LABELS:
        raise InvalidInput(f"角色须为 {'/'.join(ROLE_LABELS)} 之一 (unknown role {role!r})")
    if role == UNIT and not unit_code:
        raise InvalidInput("承办单位用户须绑定一个单位 (a unit user needs its unit)")
    if role != UNIT and unit_code:
        raise InvalidInput("只有承办单位用户绑定单位 (only unit users are bound to a unit)")
