"""A Dahua camera's accounts, as `userManager.cgi` lists and changes them.

Following "Dahua HTTP API for IPC" V1.67, its User Management chapter, and what amcrest sends
(python-amcrest src/amcrest/user_management.py): `getUserInfoAll` answers `users[i].<field>`
lines, `getUserInfo&name=X` answers `user.<field>` lines, `addUser&user.Name=..&user.Password=
..&user.Group=admin|user[&user.AuthorityList[j]=..]`, `modifyUser&name=X&user.<field>=..`,
`modifyPassword&name=X&pwd=..&pwdOld=..` and `deleteUser&name=X` answer `OK` or `Error`.
Accounts belong to one of the two built-in groups, `admin` and `user`; what a `user` account
may do beyond watching is its authority list (e.g. AuthManuCtr, manual control). A reserved
account (the factory `admin`) cannot be deleted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

GROUPS = ("admin", "user")
GROUP_AUTHORITIES = {
    "admin": ("AuthUserMag", "AuthSysCfg", "AuthSysInfo", "AuthManuCtr", "Monitor_01", "Replay_01"),
    "user": ("Monitor_01", "Replay_01"),
}
ALL_AUTHORITIES = frozenset(GROUP_AUTHORITIES["admin"])
_NAME = re.compile(r"[A-Za-z0-9_@.-]{1,31}")
_AUTHORITY_KEY = re.compile(r"user\.AuthorityList\[(\d+)\]")


class UserError(Exception):
    """The request is one the camera refuses (it answers `Error`)."""


@dataclass(slots=True)
class DahuaUser:
    password: str
    group: str
    authorities: list[str] = field(default_factory=list)
    reserved: bool = False
    sharable: bool = True
    memo: str = ""

    def lines(self, prefix: str, name: str, number: int) -> list[str]:
        out = [f"{prefix}.AuthorityList[{i}]={a}" for i, a in enumerate(self.authorities)]
        out += [
            f"{prefix}.Group={self.group}",
            f"{prefix}.Id={number}",
            f"{prefix}.Memo={self.memo}",
            f"{prefix}.Name={name}",
            f"{prefix}.Reserved={str(self.reserved).lower()}",
            f"{prefix}.Sharable={str(self.sharable).lower()}",
        ]
        return out


def _flag(query: dict[str, str], key: str, default: bool) -> bool:
    value = query.get(key)
    if value is None:
        return default
    if value not in ("true", "false"):
        raise UserError(f"{key} must be true or false")
    return value == "true"


def _authorities(query: dict[str, str], group: str) -> list[str] | None:
    """The AuthorityList a request names, in index order; None when it names none."""
    found = sorted(
        (int(m.group(1)), value)
        for key, value in query.items()
        if (m := _AUTHORITY_KEY.fullmatch(key))
    )
    if not found:
        return None
    names = [value for _index, value in found]
    if any(n not in ALL_AUTHORITIES for n in names):
        raise UserError("unknown authority")
    if group != "admin" and "AuthUserMag" in names:
        raise UserError("a user-group account cannot manage users")
    return names


class UserTable:
    """The accounts of one camera, by name, in creation order."""

    def __init__(self, users: dict[str, tuple[str, str]]) -> None:
        self.users: dict[str, DahuaUser] = {}
        for name, (password, group) in users.items():
            self.users[name] = DahuaUser(
                password, group, list(GROUP_AUTHORITIES[group]), reserved=group == "admin"
            )

    def passwords(self) -> dict[str, str]:
        return {name: user.password for name, user in self.users.items()}

    def info_all(self) -> list[str]:
        lines: list[str] = []
        for number, (name, user) in enumerate(self.users.items()):
            lines += user.lines(f"users[{number}]", name, number + 1)
        return lines

    def info(self, name: str) -> list[str]:
        user = self.users.get(name)
        if user is None:
            raise UserError(f"no user {name}")
        return user.lines("user", name, list(self.users).index(name) + 1)

    def add(self, query: dict[str, str]) -> None:
        name, password = query.get("user.Name", ""), query.get("user.Password", "")
        group = query.get("user.Group", "")
        if not _NAME.fullmatch(name) or name in self.users:
            raise UserError("bad or existing user name")
        if not password or group not in GROUPS:
            raise UserError("a new user needs a password and the group admin or user")
        self.users[name] = DahuaUser(
            password,
            group,
            _authorities(query, group) or list(GROUP_AUTHORITIES[group]),
            reserved=_flag(query, "user.Reserved", False),
            sharable=_flag(query, "user.Sharable", True),
            memo=query.get("user.Memo", ""),
        )

    def modify(self, query: dict[str, str]) -> None:
        user = self.users.get(query.get("name", ""))
        if user is None:
            raise UserError("no such user")
        group = query.get("user.Group", user.group)
        if group not in GROUPS or (user.reserved and group != user.group):
            raise UserError("bad group")
        authorities = _authorities(query, group)
        if group != user.group and authorities is None:
            authorities = list(GROUP_AUTHORITIES[group])
        user.group = group
        user.authorities = authorities if authorities is not None else user.authorities
        user.sharable = _flag(query, "user.Sharable", user.sharable)
        user.memo = query.get("user.Memo", user.memo)

    def modify_password(self, query: dict[str, str]) -> None:
        user = self.users.get(query.get("name", ""))
        if user is None or user.password != query.get("pwdOld") or not query.get("pwd"):
            raise UserError("no such user, wrong old password or empty new one")
        user.password = query["pwd"]

    def delete(self, name: str) -> None:
        user = self.users.get(name)
        if user is None or user.reserved:
            raise UserError("no such user, or a reserved one")
        del self.users[name]
