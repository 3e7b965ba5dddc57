"""Secrets are `${ENV_VAR}` references, resolved only when a device is contacted.

A `SecretRef` never shows its value: str(), repr() and JSON encoding give the reference, so
a secret cannot leak into output, plans, logs or the journal by accident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from provision.errors import SecretError

REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


@dataclass(frozen=True, slots=True)
class SecretRef:
    name: str  # the environment variable

    @classmethod
    def parse(cls, text: str) -> SecretRef:
        match = REF.match(text)
        if not match:
            raise SecretError(f"not a secret reference: expected ${{ENV_VAR}}, got {text[:3]}...")
        return cls(match.group(1))

    def __str__(self) -> str:
        return f"${{{self.name}}}"

    def __repr__(self) -> str:
        return f"SecretRef({self.name!r})"
