"""ONVIF device service user accounts: GetUsers, CreateUsers, SetUser, DeleteUsers.

Accounts are what WS-Security checks against, so the rules that keep a camera manageable are
enforced as on real devices: passwords are never returned, names are unique, and the last
Administrator can be neither deleted nor demoted (ter:FixedUser).
"""

from __future__ import annotations

from lxml import etree

from provision.lab.onvif_soap import children, invalid_arg, receiver_fault, sender_fault, text, x
from provision.lab.onvif_state import MAX_USERS, USER_LEVELS, CameraState, Operations


def get_users(cam: CameraState, _req: etree._Element) -> str:
    # Passwords are never returned (ONVIF: "the password shall not be included").
    users = "".join(
        f"<tds:User><tt:Username>{x(name)}</tt:Username><tt:UserLevel>{level}</tt:UserLevel>"
        "</tds:User>"
        for name, (_pw, level) in cam.users.items()
    )
    return f"<tds:GetUsersResponse>{users}</tds:GetUsersResponse>"


def _user_entries(req: etree._Element) -> list[tuple[str, str | None, str]]:
    entries = []
    for el in children(req, "User"):
        name, password, level = (
            text(el, "Username") or "",
            text(el, "Password"),
            text(el, "UserLevel"),
        )
        if not name or len(name) > 32:
            raise invalid_arg(
                "UsernameTooLong" if name else "UsernameMissing",
                reason=f"invalid user name {name!r}",
            )
        if level not in USER_LEVELS:
            raise sender_fault(
                "OperationProhibited",
                "AnonymousNotAllowed",
                reason=f"user level {level!r} is not one of {USER_LEVELS}",
            )
        if password is not None and len(password) > 64:
            raise sender_fault(
                "OperationProhibited",
                "PasswordTooLong",
                reason="password longer than 64 characters",
            )
        entries.append((name, password, level))
    if not entries:
        raise invalid_arg("UsernameMissing", reason="no User element in the request")
    return entries


def create_users(cam: CameraState, req: etree._Element) -> str:
    entries = _user_entries(req)
    for name, password, _level in entries:
        if name in cam.users:
            raise sender_fault(
                "OperationProhibited", "UsernameClash", reason=f"user {name!r} already exists"
            )
        if not password:
            raise sender_fault(
                "OperationProhibited", "PasswordTooWeak", reason=f"user {name!r} needs a password"
            )
    if len(cam.users) + len(entries) > MAX_USERS:
        raise receiver_fault("Action", "TooManyUsers", reason=f"at most {MAX_USERS} users")
    for name, password, level in entries:
        cam.users[name] = (password or "", level)
    return "<tds:CreateUsersResponse/>"


def set_user(cam: CameraState, req: etree._Element) -> str:
    entries = _user_entries(req)
    for name, _password, _level in entries:
        if name not in cam.users:
            raise invalid_arg("UsernameMissing", reason=f"no user {name!r}")
    updated = dict(cam.users)
    for name, password, level in entries:
        updated[name] = (password if password else updated[name][0], level)
    if not any(level == "Administrator" for _pw, level in updated.values()):
        raise sender_fault(
            "OperationProhibited",
            "FixedUser",
            reason="the camera must keep at least one Administrator",
        )
    cam.users = updated
    return "<tds:SetUserResponse/>"


def delete_users(cam: CameraState, req: etree._Element) -> str:
    names = {(el.text or "").strip() for el in children(req, "Username")}
    missing = names - cam.users.keys()
    if missing:
        raise invalid_arg("UsernameMissing", reason=f"no user(s) {', '.join(sorted(missing))}")
    if not any(lvl == "Administrator" for n, (_p, lvl) in cam.users.items() if n not in names):
        raise sender_fault(
            "OperationProhibited",
            "FixedUser",
            reason="the camera must keep at least one Administrator",
        )
    for name in names:
        del cam.users[name]
    return "<tds:DeleteUsersResponse/>"


USER_OPERATIONS: Operations = {
    "GetUsers": ("Administrator", get_users),
    "CreateUsers": ("Administrator", create_users),
    "SetUser": ("Administrator", set_user),
    "DeleteUsers": ("Administrator", delete_users),
}
