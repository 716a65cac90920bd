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
# A code (a leading apostrophe, typed to keep a cell as text, aside), and what is written as one: "KNS" and a
# number. A value that is not, an office's own numbering ("GL-001", 12) or an Excel error, is not read as a
# code; one written as a code that is not quite one (a dash lost, QA round 71) is refused, not passed over.
_CODE = re.compile(r"'?KNS\s*[-\s]\s*(\d{1,18})\s*[-\s]\s*([0-9A-F]{4})", re.IGNORECASE)
_WRITTEN_AS_CODE = re.compile(r"'?\s*KNS\W*\d", re.IGNORECASE)
# Zero-width characters and a soft hyphen dropped, the other dashes (an en dash from a word processor) read as "-"
_TYPED = {
    **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\xad"), None),
    **dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-"),
}


def _check(pk: int) -> str:
    return crypto.keyed_hash(str(pk), "person-code")[:_CHECK_LENGTH].upper()


def person_code(pk: int) -> str:
    """'KNS-1234-9F0C'."""
    return f"{_PREFIX}-{pk}-{_check(pk)}"


def person_pk_of(text: str) -> int | None | bool:
    """The person's id a code names; None when the text is no code (not written as one); False when it is
    written as one but is not this installation's (mistyped, or another installation's)."""
    text = str(text).translate(_TYPED).strip().rstrip(".").strip()
    if not _WRITTEN_AS_CODE.match(text):
        return None
    found = _CODE.fullmatch(text)
    if found is None:
        return False
    pk = int(found.group(1))
    return pk if found.group(2).upper() == _check(pk) else False
