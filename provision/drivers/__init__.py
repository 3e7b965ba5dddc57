"""Device drivers: one per device kind and protocol, each speaking its device's real protocol.

Every driver keeps one contract (see `base.Driver`): `desired()` from the inventory, `read()`
from the device, `diff()`, `apply()` of a list of changes, and `close()`. Plan is read + diff;
apply is read + diff + apply + read again to verify; rollback is `apply()` of the changes with
before and after swapped. The registry maps the inventory's (kind, protocol) to its driver,
built-in or installed by another package through the `provision.drivers` entry points.
"""
