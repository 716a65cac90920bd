"""A person's code on the platform ("Mã hồ sơ KNS"): the exported list's last column, by which an import finds
the person again whatever else the row changes (a corrected name, another unit), as DHIS2's and Moodle's
uploads find a record by its id. The number is the person's id; the letters after it are a keyed digest of
it, so a code mistyped, or taken from another installation's export, is told apart instead of finding
somebody else."""

from __future__ import annotations

import re

from kynangso.core import crypto

CODE_HEADER = "Mã hồ sơ KNS"
_PREFIX = "KNS"
_CHECK_LENGTH = 4
# What a code looks like (a leading apostrophe, typed to keep a cell as text, aside): a value that does not is
# no code at all, an office's own numbering ("KNS-001") or an Excel error, and is not read as one.
_CODE = re.compile(r"'?KNS\s*-\s*(\d{1,18})\s*-\s*([0-9A-F]{4})", re.IGNORECASE)


def _check(pk: int) -> str:
    return crypto.keyed_hash(str(pk), "person-code")[:_CHECK_LENGTH].upper()


def person_code(pk: int) -> str:
    """'KNS-1234-9F0C'."""
    return f"{_PREFIX}-{pk}-{_check(pk)}"


def person_pk_of(text: str) -> int | None | bool:
    """The person's id a code names; None when the text is no code (not written as one); False when it is
    written as one but is not this installation's (mistyped, or another installation's)."""
    found = _CODE.fullmatch(str(text).strip())
    if found is None:
        return None
    pk = int(found.group(1))
    return pk if found.group(2).upper() == _check(pk) else False
