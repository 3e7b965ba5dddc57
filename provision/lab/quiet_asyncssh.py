"""asyncssh, imported without cryptography's DSA deprecation warnings.

asyncssh 2.24 still defines its DSA key classes at import, and cryptography 47+ warns about
DSA then: ten lines on stderr of every `provision lab` command and of the demo, about code the
lab never runs (its switches offer ed25519 and RSA host keys only). The lab's SSH modules
import asyncssh from here.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="DSA is deprecated")
    import asyncssh
    import asyncssh.constants

__all__ = ["asyncssh"]
