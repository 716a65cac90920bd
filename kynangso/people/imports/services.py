"""Bulk import of people and learner accounts: create the job, run it, cancel it, build the PDF sheet.

The run is set-based. Rows are read in chunks of CHUNK_SIZE; per chunk there is a fixed number of
queries whatever its size: existing people by CCCD hash, namesakes for rows without a CCCD, their
target groups, their accounts, then one `bulk_insert` of new people (imports/bulk.py), bulk_update of
the changed ones, one insert of target groups and `people.services.accounts_create` (one insert,
activation codes instead of password hashes). The codes of each committed chunk are saved to storage
at once (ActivationParts), so no code is lost if the worker dies; the run gathers them into the sheet.

Identity: a row with a person's code (the exported list's last column, "Mã hồ sơ KNS": people/codes.py) is
that person, whatever else it changes, one thing of their identity at a time and confirmed (match_code,
code_differs); a code of no one in the import's units, of an earlier row's person, beside another person's
CCCD, or on a row that is someone else (codes mixed up by a sort) is refused. Otherwise the
same CCCD is the same person (matched through `people.services.cccd_hash`). A row
without a CCCD matches a person of the same unit with the same name (compared without accents or case,
as `Person.search_text`) and the same date of birth; a row without a date of birth matches a single
namesake of the unit, or of several the one without a date either who has what the row says (and of
those, the one with nothing more: the row an export gives them; _rank). A year of birth known without a
day (a year alone in the birth column, a CCCD's digits; kept as Person.birth_year while there is no date)
never matches a namesake born in another year. A row with a CCCD that no one has yet may still match, in
the same way, a namesake
with the same date of birth who has no CCCD (the number is then added); a namesake born the same day with
another number refuses the row (a corrected number goes through the person's page, a second person of
that name and birthday through "Add a person"), never a second person by accident. Several candidates →
the row is rejected as ambiguous. A row without a unit code that would be a namesake of a unit below the
import's on nothing more than the name (no same date of birth, phone or email; a year of birth only when
its phone and email are not others; a CCCD the namesake lacks is no proof) is refused and asked for that
unit's code, or the import unit's own for a new person (QA rounds 33-35: a commune's accountant was
written onto a school's teacher). A row without a CCCD whom no one fits is refused, rather than made a
second person with a second account, when a namesake of another unit than its code's shares its date of
birth, phone or email (twin_elsewhere, QA round 36), or when someone of any unit has its name with other
accents, its date of birth and its phone or email (respelled: a name corrected in the list, QA rounds 42,
43; a row with a new CCCD too, if they have none). Inside the
file the same rules apply: a row that is the person an earlier row created (same name, date of birth and
unit; with or without a CCCD) is a duplicate, whichever chunk it falls in, so the file gives the same
result the first time and every time after. An empty cell never erases a stored value.

Modes: a dry run reads and checks everything and writes nothing. "Commit valid" writes whole chunks and
commits every TRANSACTION_ROWS rows (a cancel commits the chunks done and stops; a crash rolls back the
open transaction; either way no chunk is half-written and importing the file again completes it), and
reports the rejected rows.
"All or nothing" first checks the whole file without writing, then — only if no row was rejected —
writes everything in one transaction (a cancel rolls all of it back)."""

from __future__ import annotations

import csv
import gc
import hashlib
import heapq
import io
import json
import logging
import pickle
import signal
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Sequence
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache, partial
from itertools import chain, islice
from pathlib import PurePath
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from kynangso.core import crypto
from kynangso.core.models import AuditLog
from kynangso.core.services import audit_record
from kynangso.core.text import (
    edit_distance,
    grouped,
    merged_name,
    name_signature,
    same_name_signature,
    signature_adds_nothing,
    toned_words,
)
from kynangso.orgs.choices import PEOPLE_WRITE_ROLES, AdminLevel
from kynangso.orgs.models import AdminUnit, AdminUnitSuccession, Organisation, Space
from kynangso.orgs.selectors import NOTHING, primary_organisation, scope_q

from .. import rules
from .. import services as people_services
from ..choices import AccountState
from ..codes import person_pk_of
from ..models import Person, PersonTargetGroup, User
from ..selectors import person_list
from . import reading, workbooks
from .bulk import any_of, bulk_insert, insert_rows, unsaved
from .choices import ActivationJob, ActivationOutcome, ImportMode, ImportPhase, ImportSource, ImportStatus
from .models import PersonImport
from .permissions import can_import_into
from .validation import (
    BOTH_ORDERS,
    DAY_FIRST,
    MONTH_FIRST,
    NAMED_UNITS_SHOWN,
    ParsedRow,
    RowValidator,
    cccd_text,
    date_order,
)

logger = logging.getLogger(__name__)
_BIRTH_CELL = reading.FIELDS.index("date_of_birth")
_CCCD_CELL = reading.FIELDS.index("cccd")

CHUNK_SIZE = 5000
UPDATED_ROWS_SHOWN = 10  # rows that change someone, named in the summary with what they change
# Person's fields an import changes → the import's column that gave them (the summary's list of updated rows)
_CHANGED_FIELDS = {
    "full_name": "full_name",
    "date_of_birth": "date_of_birth",
    "birth_year": "date_of_birth",
    "sex": "sex",
    "phone": "phone",
    "email": "email",
    "position": "position",
    "organisation": "org_code",
    "cccd_hash": "cccd",
}
NAMED_UNITS_DECIDED_BY = 5000  # first rows: whether a column of units' names gives units (decide_named)
# Commit-valid mode commits every TRANSACTION_ROWS rows: a commit writes out every index page the rows
# touched, and with random keys (CCCD hashes, name keys) that is nearly all of them once the tables hold
# a few hundred thousand people, so committing every chunk made the commits grow with the table. On
# SQLite, 40,000 rows instead of 20,000 took 0.5 s off 200,000 (bench/README.md); a transaction then
# holds its write lock for about 4 s.
TRANSACTION_ROWS = 40_000
PDF_TASK_PRIORITY = -10
STALE_AFTER = timedelta(minutes=10)
BUSY = "busy"  # the ValidationError code of a request that must wait for a task to end (the API's 409)
SQLITE_CACHE_KIB = 96 * 1024  # a transaction's changed pages stay in memory until its commit
SQLITE_CHECKPOINT_BYTES = 80 * 1024 * 1024  # fold the write-ahead log into the database every 80 MB, not 4 MB
ANALYZE_MIN_ROWS = 10_000
# The ANALYZEs during an import give the planner the tables' new sizes; a sample of 3,000 rows a table
# (statistics target 10) does that in a tenth of the time of the default 30,000 (60 ms instead of 600 at
# 40,000 people). The default statistics are taken once after the import, by a task (statistics_refresh).
ANALYZE_DURING_IMPORT_TARGET = 10
MAX_FILE_BYTES = 200 * 1024 * 1024

ERR_SCOPE = _("You may not import people into this organisation.")
ERR_FILE_TOO_BIG = _("The file is larger than %(max)s MB.")
ERR_FILE_EMPTY = _("The file is empty (0 bytes): choose the saved list and upload it again.")
ERR_MODE = _("Unknown import mode.")
ERR_KEY_TOO_LONG = _("The Idempotency-Key header is longer than %(max)s characters.")
ERR_KEY_REUSED = _(
    "This Idempotency-Key was already used for another request (another file or other options): use a new key "
    "for a new import."
)
SUBMISSION_KEY_MAX = 64
ERR_NOT_A_CHECK = _("Only a finished check (nothing written) can be imported for real.")  # the page's and the API's
ERR_CHECK_NOTHING_TO_IMPORT = _(
    "This check found nothing an import would write (no row can be imported, or, with all or nothing, some "
    "rows have errors): correct the file, then check or import it again."
)
ERR_NO_ACTIVATION_SHEET = _("This import has no activation sheet to make again.")
ERR_NO_CODE_LEFT = _(
    "No code of this sheet still works: every account has been activated, given a newer code, or its code "
    "has expired. To give new codes to those not activated yet, use “Give new codes to those not activated”."
)
ERR_ALL_ACTIVATED = _(
    "No account of this import needs a new code from you: each has been activated, or is one you may not give "
    "a code to (someone who has moved to another unit, an account that holds a role or is disabled)."
)
ERR_FILES_BEING_MADE = _("The activation files are being made again: wait until they are ready.")
MSG_JOB_STALE = _(
    "Making the activation files again was not done: the platform's background worker did not run it within "
    "%(minutes)s minutes (it may be stopped). Nothing was changed: the files above and their codes stay valid. "
    "Ask for it again, or tell the platform's administrator."
)
ERR_PDF_BEING_MADE = _("The PDF cards are being prepared: wait until they are ready, then make them again if needed.")
ERR_ACTIVATION_FAILED = _(
    "Making the activation files again failed; nothing was changed. Try again; if it fails again, tell your "
    "system administrator."
)
MSG_RENEWED = _(
    "%(n)s people who had not activated their account got a new activation code; their old codes no longer work."
)
MSG_LEFT_OUT = _(
    "Not on the new list: %(n)s accounts (activated, given a newer code, whose code has expired, moved to another "
    "unit, holding a role or disabled). The people list shows whose account is not activated yet (filter "
    "“Account”); “Give new codes to those not activated” gives them new codes."
)
MSG_LEFT_OUT_RENEWED = _(
    "Not on the new list: %(n)s accounts (activated, moved to another unit, holding a role or disabled)."
)
MSG_REMADE = _(
    "The activation sheet was made again with the site's address and the people's names and units as they are "
    "now (the usernames and codes are unchanged)."
)
OUTCOME_ERRORS = {
    ActivationOutcome.NO_CODE_LEFT: ERR_NO_CODE_LEFT,
    ActivationOutcome.ALL_ACTIVATED: ERR_ALL_ACTIVATED,
    ActivationOutcome.NOT_ALLOWED: ERR_SCOPE,
    ActivationOutcome.FAILED: ERR_ACTIVATION_FAILED,
}
ERR_CHECK_FILE_GONE = _("The file of this check is no longer kept: upload it again.")
ERR_DUPLICATE_CCCD = _(
    "The same CCCD number as row %(first)s, and not all else the same: one row a person; put all that is right "
    "in one of them and delete the other."
)
ERR_BIRTH_SWAPPED = _(
    "The date cell %(value)s is this person's stored date of birth, %(stored)s, with the day and month swapped, "
    "as a spreadsheet set to month first makes of day-first dates when it opens a CSV file. If %(value)s is "
    "right, type it as text (dd/mm/yyyy); to keep %(stored)s, leave the cell empty."
)
ERR_DUPLICATE_CCCD_DIFFERS = _(
    "The same CCCD number as row %(first)s, which differs from this one in %(fields)s (a value in one and not "
    "the other, or another): one row a person; put all that is right in one of them and delete the other."
)
ERR_REPEATS_REFUSED = _(
    "This row repeats row %(first)s, which was refused: correct that row, and delete this one (or correct it "
    "the same way)."
)
ERR_DUPLICATE_PERSON = _("The same person as row %(first)s.")
ERR_SAME_PERSON_DIFFERS = _(
    "This row is taken, by the name, for the person of row %(first)s, but the two rows differ in %(fields)s (a "
    "value in one and not the other, or another): if they are one person, put all that is right in one of them "
    "and delete the other; if two, add their CCCD numbers."
)
ERR_MAYBE_SAME_PERSON = _(
    "Row %(first)s has this name without a date of birth, or this row has none: they may be the same person. "
    "Add the dates of birth (or the CCCD numbers) to tell them apart; if they are one person, keep one row."
)
ERR_NAMESAKE_CCCD = _(
    "“%(holder)s”, born the same day, is already in “%(unit)s” with another CCCD number. If this is the same "
    "person, correct the number on their page; if it is another person, add them on the page “Add a person”. "
    "Do not empty the CCCD cell to get the row in: without a CCCD it is taken for “%(holder)s” and changes their "
    "data."
)  # the warning: QA round 56 emptied the cell, and the headmaster's position became the guard's
ERR_NAMESAKE_CCCD_IN_FILE = _(
    "Row %(first)s has a person of the same name, date of birth and unit with another CCCD number. Check the "
    "numbers; if they are two people, add this one on the page “Add a person”. Do not empty the CCCD cell: "
    "without a CCCD this row is taken for the person of row %(first)s."
)
ERR_NAMESAKE_BELOW = _(
    "“%(holder)s” of “%(unit)s” has this name, but nothing else in this row (date of birth, CCCD number, phone, "
    "email) is known to be theirs, and the row has no unit code: it cannot be told whether this row is them. "
    "If it is, write the unit code “%(code)s”; if it is another person, write the code of their own unit "
    "(“%(own)s” for this one)."
)
ERR_AMBIGUOUS_NAME = _(
    "Several people of this unit have this name; add the date of birth or the CCCD number to tell them apart."
)
ERR_AMBIGUOUS_ADD_DATE = _(
    "Several people of this unit have this name, and the CCCD number is no one's yet; add the date of birth to "
    "tell which of them this is."
)
# The unit code always tells them apart; a date or a CCCD number only may (QA rounds 27, 28).
ERR_AMBIGUOUS_UNITS = _(
    "People of this name are in several units of this import (%(units)s), and this row does not say which of "
    "them it is: add the unit code (“Mã đơn vị”) of this person's unit."
)
# A row with a unit code, no CCCD and no one of its name in that unit, whose namesake elsewhere in the import
# shares its date of birth, phone or email: most likely them, written with another code (the import's own
# code comes first in the template's list of units). Adding a person would make a twin without a CCCD.
ERR_NAMESAKE_ELSEWHERE = _(
    "“%(holder)s” of “%(unit)s” has this name and %(shared)s, but this row gives another unit. If the row is "
    "them, write their unit code “%(code)s” (to move them to another unit, change the unit on their page); if it "
    "is someone else, add the CCCD number to tell the two apart."
)
ERR_NAMESAKE_ELSEWHERE_IN_FILE = _(
    "Row %(first)s has a person of this name with %(shared)s in the unit “%(code)s”. If they are one person, "
    "keep one row with the right unit code; if they are two, add the CCCD numbers to tell them apart."
)
# QA round 42: "Lê Văn Tâm" for the unit's "Lê Văn Tám", born the same day with the same phone or email: a
# name corrected in the list, which made a second person and a second account.
ERR_RESPELLED = _(
    "“%(holder)s” of “%(unit)s” was born the same day and has the same phone number or email. If this row is "
    "them, write their name the same in the file and on their page (correct whichever is wrong); if they are "
    "two people, add this person's CCCD number."
)
ERR_RESPELLED_IN_FILE = _(
    "Row %(first)s has a person of this name with other accents, born the same day, with the same phone number "
    "or email. If they are one person, keep one row with the right name; if they are two, add this person's "
    "CCCD number."
)
ERR_RESPELLED_CODED = _(
    "“%(holder)s” of “%(unit)s”, who has no CCCD number, was born the same day and has the same phone number or "
    "email. If this row is them, write their name the same in the file and on their page (correct whichever is "
    "wrong): the number is then added to them; if they are two people, add their CCCD number on their page."
)
ERR_RESPELLED_CODED_IN_FILE = _(
    "Row %(first)s has a person of this name with other accents and no CCCD number, born the same day, with the "
    "same phone number or email. If they are one person, keep one row with the right name; if they are two, add "
    "the CCCD number to row %(first)s."
)
SHARED_DETAILS = (_("the same date of birth"), _("the same phone number"), _("the same email"))
ERR_NAME_LEFT_UNCLEAR = _(
    "Row %(first)s names someone of this name without a CCCD number, and this row's person could be them too: "
    "importing this row would change whom row %(first)s means the next time the file is imported. Add the CCCD "
    "number in row %(first)s, or what tells the two apart (date of birth, unit code, name with its accents)."
)
ERR_AMBIGUOUS = _(
    "Several people of this unit have this name and date of birth; add the CCCD number to tell them apart."
)
ERR_AMBIGUOUS_CODED = _(
    "Several people of this unit have this name and date of birth and no CCCD number, so it is unclear whose "
    "number this is: add it on the right person's page."
)
ERR_AMBIGUOUS_UNDATED = _(
    "Several people of this unit have this name and nothing that tells which of them this row is: add their "
    "dates of birth (or CCCD numbers) on their pages, then import the row again."
)
ERR_CCCD_ELSEWHERE = _(
    "Another person, outside the unit of this import, already has this CCCD number. Check the number; if it "
    "is the same person, ask the administrator of their unit (or of the province) to move them to yours."
)
ERR_CCCD_IN_YOUR_UNIT = _(
    "“%(holder)s”, with this CCCD number, is already in “%(unit)s”, a unit you manage outside the unit of this "
    "import. Import the row into a unit that holds both, or move the person on their page."
)
ERR_CCCD_OTHER_NAME = _(
    "This CCCD number belongs to “%(holder)s” on the platform, a different name: check the number. If the "
    "person's name has changed, correct it on their page first."
)
ERR_PERSON_CODE = _(
    "“%(code)s” is not a person's code on this platform: keep the code as the exported list gave it, or clear "
    "the cell for a new person."
)
ERR_PERSON_CODE_NOT_YOURS = _(
    "No one in the units of this import has this code: the person may have been deleted, or moved to a unit "
    "outside the import (ask its administrator, or the province's). If the row is a new person, clear the code."
)
ERR_PERSON_CODE_TWICE = _(
    "The code's person, “%(holder)s”, is row %(first)s's already: a person is one row. If this row is "
    "another person, clear its code."
)
ERR_PERSON_CODE_CCCD = _(
    "This CCCD number belongs to “%(holder)s” on the platform, not to “%(person)s”, whose code this row has: "
    "check the number."
)
ERR_PERSON_CODE_OTHER = _(
    "The code is that of “%(holder)s”, but %(fields)s of this row differ from theirs. A list corrects who someone "
    "is (name, date of birth, sex) only beside their CCCD as stored, and a sex or a CCCD also beside their full "
    "date of birth as stored (not a 1 January, which lists write for a year alone). If the row is them, correct "
    "it on their page; if the codes were moved by sorting some columns without theirs, export the list again; if "
    "the row is a new person typed over theirs, clear its code."
)
ERR_PERSON_CODE_NAMESAKE = _(
    "The code is that of “%(holder)s”, who has a namesake in the units of this import, and the row changes them "
    "without giving anything of theirs as stored beside the name to tell them apart (their CCCD; their date or "
    "year of birth): give it if the platform has it, or correct them on their page."
)
MSG_CODES_MIXED = _(
    "Rows refused because their code is someone's they do not describe: %(rows)s (the first: row %(row)s). Codes "
    "out of line with their rows come from sorting or moving some columns without the column “Mã hồ sơ KNS”: "
    "export the list again. A name, a date of birth or a sex is corrected beside the person's CCCD as stored, "
    "or on their page."
)
ERR_PERSON_CODE_YEAR = _(
    "%(year)s is not the year of the date of birth of “%(holder)s” (%(born)s), whose code this row has: to "
    "correct it, give the whole date."
)
# A row whose CCCD matches a person updates that person; a name that differs by more than this many
# letters (accents aside) is another person's name, most likely a mistyped number, and the row is refused
# rather than overwrite them. One or two letters are a typo being corrected.
NAME_EDITS_ALLOWED = 2
ERR_QUOTA_ROW = _(
    "No learner account is left in the space “%(space)s” (quota %(quota)s): this row was not imported. "
    "Ask for a larger quota, then import the error file again."
)
ERR_QUOTA_ROW_ALL = _(
    "No learner account is left in the space “%(space)s” (quota %(quota)s). Ask for a larger quota, then "
    "import the whole file again: with all or nothing, no row of it was imported."
)
MSG_SUMMARY = _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(rejected)s rejected.")
MSG_SUMMARY_WOULD = _(  # a check, or a refused all-or-nothing import: nothing was written
    "The rows checked: %(created)s to create, %(updated)s to update, %(unchanged)s unchanged, %(rejected)s rejected."
)
MSG_ACCOUNTS = _("%(accounts)s learner accounts created.")
MSG_QUOTA_SUMMARY = _(
    "%(rows)s rows were not imported because the space “%(space)s” has no learner account left (quota "
    "%(quota)s): ask for a larger quota."
)
MSG_ACCOUNTS_DRY_RUN = _("%(accounts)s learner accounts would be created.")
MSG_NOTHING_IMPORTED = _(
    "Nothing was imported: every row was rejected. Correct the rows in the error report, then import it."
)
MSG_DRY_RUN_NOTHING = _(
    "No row of this file can be imported: every row has errors. Correct them (the error report says which "
    "and why), then check the file again."
)
MSG_NOTHING_QUOTA = _("Nothing was imported: the space has no learner account left for these rows.")
MSG_DRY_RUN_NOTHING_QUOTA = _(
    "No row of this file can be imported: the space has no learner account left for them. Their other cells "
    "are correct."
)
MSG_DRY_RUN = _("Check only: nothing was written.")
MSG_DRY_RUN_REFUSED = _(
    "Imported for real with all or nothing, this file would be refused whole: %(rejected)s rows have errors."
)
MSG_DRY_RUN_REFUSED_QUOTA = _(
    "Imported for real with all or nothing, this file would be refused whole: the space has no learner account "
    "left for %(rejected)s rows."
)
MSG_REFUSED = _(
    "Nothing was imported: %(rejected)s rows have errors and you chose all or nothing. Correct those rows in "
    "your file (the error report says which and why), then import the whole file again: the error report "
    "holds only the rows with errors."
)
MSG_REFUSED_QUOTA = _(
    "Nothing was imported: the space has no learner account left for %(rejected)s rows and you chose all or nothing."
)
MSG_FOOTER = _(
    "From row %(row)s the list was read as the form's footer (totals, place and date, signatures): %(rows)s rows "
    "were not imported. If people are among them, move them above it."
)
MSG_FOOTERS = _(
    "The sheets' lists were read up to their forms' footers (totals, place and date, signatures), from rows "
    "%(row)s: %(rows)s rows were not imported. If people are among them, move them above the footers."
)
MSG_PASSED_OVER = ngettext_lazy(
    "%(rows)s row holds no person (a section heading or a subtotal: row %(row)s “%(text)s”): it was not imported.",
    "%(rows)s rows hold no person (section headings, subtotals: row %(row)s “%(text)s”, …): they were not imported.",
    "count",
)
MSG_UPDATED_ROWS = _("Rows that change a stored person (the columns changed): %(rows)s.")
# QA rounds 65-66: a second group typed in the next column was lost without a word; refusing such rows refused
# good lists (a side table, a helper column): they are read as before, and the values not read are told
MSG_UNTITLED = ngettext_lazy(
    "%(rows)s row has a value in a column without a title: it was not read (column %(column)s, row %(row)s: "
    "“%(value)s”). If it is the person's, put it in its column, or give the column a title the template knows "
    "(several groups go in one cell, separated by “;”), and import the file again: the rows already imported "
    "stay unchanged.",
    "%(rows)s rows have values in a column without a title: they were not read (column %(column)s, row %(row)s: "
    "“%(value)s”, …). If they are the people's, put them in their columns, or give the column a title the "
    "template knows (several groups go in one cell, separated by “;”), and import the file again: the rows "
    "already imported stay unchanged.",
    "count",
)
MSG_UNTITLED_CSV = _(
    "In a CSV file, a comma or semicolon inside a value without quotes moves the values after it one column "
    "to the right."
)
MSG_PLACES_NOT_UNITS = ngettext_lazy(
    "%(rows)s row names in the column “%(column)s” no unit of this import but a place (%(places)s): from its "
    "values in the file's first %(first)s rows, the column was read as places, not units. Such a row is placed "
    "as if the cell were empty (a new person in %(own)s, a stored one in their unit); a row naming a unit of the "
    "import is placed in it. To place everyone in units, write their codes in a column “Mã đơn vị” from the "
    "template's list.",
    "%(rows)s rows name in the column “%(column)s” no unit of this import but places (%(places)s): from its "
    "values in the file's first %(first)s rows, the column was read as places, not units. Such a row is placed "
    "as if the cell were empty (a new person in %(own)s, a stored one in their unit); a row naming a unit of the "
    "import is placed in it. To place everyone in units, write their codes in a column “Mã đơn vị” from the "
    "template's list.",
    "count",
)
MSG_UNITS_DIFFER = ngettext_lazy(
    "%(rows)s row gives a unit code and, in the column “%(column)s”, another unit of this import (%(examples)s): "
    "it was placed by its code. If the name is the right one, write that unit's code in “Mã đơn vị” and import "
    "the file again.",
    "%(rows)s rows give a unit code and, in the column “%(column)s”, another unit of this import (%(examples)s): "
    "they were placed by their codes. Where the name is the right one, write that unit's code in “Mã đơn vị” "
    "and import the file again.",
    "count",
)
MSG_UNITS_DIFFER_MORE = _("also rows %(rows)s")
MSG_UNITS_DIFFER_ROW = _("row %(row)s: “%(code)s” beside “%(written)s”, %(other)s")
MSG_PLACES_NOT_UNITS_NOTED = ngettext_lazy(
    "%(rows)s row names in the column “%(column)s” no unit of this import but a place (%(places)s): the column "
    "was read as places, not units, as its title says (an error workbook's, read as its import read it). Such a "
    "row is placed as if the cell were empty (a new person in %(own)s, a stored one in their unit); a row naming "
    "a unit of the import is placed in it.",
    "%(rows)s rows name in the column “%(column)s” no unit of this import but places (%(places)s): the column "
    "was read as places, not units, as its title says (an error workbook's, read as its import read it). Such a "
    "row is placed as if the cell were empty (a new person in %(own)s, a stored one in their unit); a row naming "
    "a unit of the import is placed in it.",
    "count",
)
MSG_HIDDEN = _("%(rows)s of the rows read are hidden or filtered out in Excel: they were read like the others.")
MSG_SHEETS = _("The workbook has several sheets: the list was read from “%(sheet)s”; not read: %(others)s.")
MSG_SHEETS_READ = _("The workbook's lists were read from the sheets %(sheets)s, one after the other.")
MSG_SHEETS_REORDERED = _(
    "The workbook's lists were read from the sheets %(sheets)s, in this order: a sheet with fewer columns than "
    "another, which has all of its columns, was read after that one, so that its rows repeating that sheet's people "
    "(a summary's) are counted with them."
)
MSG_REPEATED = ngettext_lazy(
    "%(rows)s row of a later sheet repeats a person of an earlier one (the same CCCD number, nothing else): it is "
    "counted unchanged.",
    "%(rows)s rows of later sheets repeat people of earlier ones (the same CCCD numbers, nothing else): they are "
    "counted unchanged.",
    "count",
)
MSG_COPIED = ngettext_lazy(
    "%(rows)s row copies an earlier row of its sheet word for word (the same CCCD number, and all else the same): "
    "it is counted unchanged.",
    "%(rows)s rows copy earlier rows of their sheets word for word (the same CCCD numbers, and all else the same): "
    "they are counted unchanged.",
    "count",
)
MSG_COPIED_BARE = ngettext_lazy(
    "%(rows)s row without a CCCD number says nothing but what an earlier row says (the same, or less), and is "
    "taken for that row's person, counted unchanged: %(examples)s. If it is another person, add them on the page "
    "“Add a person”.",
    "%(rows)s rows without a CCCD number say nothing but what earlier rows say (the same, or less), and each is "
    "taken for its earlier row's person, counted unchanged: %(examples)s. If some are other people, add them on "
    "the page “Add a person”.",
    "count",
)  # QA round 59: "add the CCCD numbers of both" did not get the second in (a namesake with another CCCD)
MSG_COPY_OF = _("row %(row)s as row %(first)s")
COPIES_SHOWN = 10
MSG_HIDDEN_SHEETS = _("Hidden sheets are not read: %(sheets)s. To import their people, unhide them.")
MSG_SHEETS_NOT_READ = _("Not read, as they hold no list of people: %(others)s.")
MSG_NO_ROWS = _(
    "The file has no data rows under its header row: put one person per row under it, then upload it again."
)
MSG_CANCELLED = _(
    "Cancelled. Whole chunks written before the cancel are kept (%(written)s rows); nothing is half-written. "
    "To import the rest, upload the same file again: the rows already written come out unchanged."
)
MSG_CANCELLED_NOTHING = _("Cancelled: nothing was written.")
MSG_INTERRUPTED = _(
    "Stopped (Ctrl+C) before it had finished: what it had committed is kept, but its error report and activation "
    "files may be missing. Import the same file again: the rows already written come out unchanged."
)
MSG_MONTH_FIRST = _(
    "The birth dates of this file are written month first (like 07/25/1994, as a computer set to English (United "
    "States) writes them): they were read in that order."
)
MSG_CANCEL_TOO_LATE = _("The cancel came after the last rows had been read: the import was not stopped.")
MSG_ACTIVATION_TITLE = _("Learner accounts — %(unit)s — import of %(date)s")
MSG_NEW_CODES_TITLE = _("New activation codes — %(unit)s — %(date)s")
ERR_NEW_CODES_FILTER = _("Filter the list by “Account”: not activated yet, or code expired, then ask again.")
ERR_NEW_CODES_TOO_MANY = _(
    "The list holds %(n)s people: new codes are given to at most %(most)s at a time. Narrow the list (by unit, or "
    "by a search on the name)."
)
ERR_NEW_CODES_NONE = _("Nobody on the list can be given a new code (activated, or outside your units).")
NEW_CODES_MAX = 5000  # accounts given new codes at once from the people list (a request's work, not a task's)
NEW_CODES_AGAIN_AFTER = timedelta(minutes=2)  # the same list's codes given again so soon: a second click
ERR_NEW_CODES_BEING_MADE = _(
    "New codes for some of these people are being made by an import (asked for at %(time)s): wait until it is "
    "done, then hand out its new sheet. No code was given."
)
ERR_NEW_CODES_JUST_GIVEN = _(
    "Some of these people were given new codes at %(time)s on %(date)s, by %(who)s: the file made then holds "
    "them. Giving them new codes again so soon would make those stop working; to do so anyway, wait two "
    "minutes. No code was given."
)
MSG_ACTIVATION_NOTE = _(
    "Each person opens %(address)s, enters the username and the activation code, then chooses a password. "
    "The codes work once, until %(date)s. Keep this file safe."
)
MSG_FAILED = _(
    "The import stopped because of an unexpected error. Rows written before it are kept; importing the same "
    "file again is safe."
)
MSG_ERRORS_NOT_KEPT = _(
    "The error report also lists rows read after the last part kept, which were not imported: importing the "
    "file again gives the whole, right list."
)
MSG_KEPT = _(
    "The rows written before the error are kept (%(written)s rows); importing the corrected file again is safe."
)


class _Cancelled(Exception):
    pass


class _Refused(Exception):
    """An all-or-nothing write found a rejected row: roll everything back."""


# --- create / cancel ----------------------------------------------------------------------------


@transaction.atomic
def _digest(file) -> bytes:
    """SHA-256 of a stored or uploaded file's bytes, read in chunks; the file is left at its start."""
    digest = hashlib.sha256()
    with file.open("rb") if isinstance(file, FieldFile) else nullcontext(file) as fh:
        fh.seek(0)
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
        fh.seek(0)
    return digest.digest()


def _same_upload(earlier: PersonImport, name: str, file, options: tuple) -> bool:
    """Whether an import made under the same submission key had this file (its name and bytes) and these
    options (organisation id, mode, dry run, create accounts)."""
    try:
        return (
            earlier.original_name == name[:255]
            and earlier.file.size == getattr(file, "size", None)
            and (earlier.organisation_id, earlier.mode, earlier.dry_run, earlier.create_accounts) == options
            and _digest(earlier.file) == _digest(file)  # a corrected file is often the same size
        )
    except OSError:  # the earlier upload's file is gone from storage: not the same upload then
        return False


def person_import_create(
    *,
    actor,
    organisation: Organisation,
    file,
    original_name: str = "",
    mode: str = ImportMode.COMMIT_VALID,
    dry_run: bool = False,
    create_accounts: bool = False,
    language: str | None = None,
    enqueue: bool = True,
    submission_key: str = "",
    key_reuse_refused: bool = False,
    source: str = ImportSource.WEB,
) -> PersonImport:
    """Store the file and the options, and queue the run (after commit). `actor=None` is the system
    (the management command without --user): full scope. `submission_key` (each user's own): the same key
    again with the same file and options (a double click, a retried request) returns the import it made,
    and makes no second one. With another file or other options it is a new request: on a page restored
    by the browser's Back button, a new import without the key; `key_reuse_refused` (an API client's
    Idempotency-Key): refused."""
    if actor is not None and not can_import_into(actor, organisation):
        raise PermissionDenied(ERR_SCOPE)
    if len(submission_key) > SUBMISSION_KEY_MAX:
        raise ValidationError(ERR_KEY_TOO_LONG, params={"max": SUBMISSION_KEY_MAX})
    created_by = actor if getattr(actor, "is_authenticated", False) else None
    name = PurePath(original_name or getattr(file, "name", "") or "").name
    options = (organisation.pk, mode, dry_run, create_accounts)
    if submission_key:
        earlier = PersonImport.objects.filter(submission_key=submission_key, created_by=created_by).first()
        if earlier is not None:
            if _same_upload(earlier, name, file, options):
                return earlier
            if key_reuse_refused:
                raise ValidationError(ERR_KEY_REUSED)
            submission_key = ""
    suffix = reading.file_suffix(name)
    if suffix not in reading.SUFFIXES:
        raise ValidationError({"file": [ValidationError(reading.ERR_FILE_TYPE, params={"name": name})]})
    if getattr(file, "size", None) == 0:
        raise ValidationError({"file": [ERR_FILE_EMPTY]})
    if (getattr(file, "size", 0) or 0) > MAX_FILE_BYTES:
        raise ValidationError({"file": [ValidationError(ERR_FILE_TOO_BIG, params={"max": MAX_FILE_BYTES >> 20})]})
    if mode not in ImportMode.values:
        raise ValidationError({"mode": [ERR_MODE]})
    imp = PersonImport(
        created_by=created_by,
        submission_key=submission_key,
        organisation=organisation,
        mode=mode,
        dry_run=dry_run,
        create_accounts=create_accounts,
        original_name=name[:255],
        language=(language or translation.get_language() or settings.LANGUAGE_CODE)[:8],
        source=source,
    )
    imp.file.save(f"danh-sach{suffix}", file, save=False)
    try:
        with transaction.atomic():
            imp.save()
    except IntegrityError:  # the same key, saved meanwhile by the other request: compared as above (QA round 55:
        # the loser of the race got the winner's import, whatever its file and options, and its own file was dropped)
        earlier = PersonImport.objects.get(submission_key=submission_key, created_by=created_by)
        if _same_upload(earlier, name, file, options):
            imp.file.delete(save=False)
            return earlier
        if key_reuse_refused:
            imp.file.delete(save=False)
            raise ValidationError(ERR_KEY_REUSED) from None
        imp.submission_key = ""
        imp.save()
    audit_record(
        actor=actor,
        action="people.import.create",
        obj=imp,
        file=name,
        mode=mode,
        dry_run=dry_run,
        create_accounts=create_accounts,
        organisation=organisation.code,
    )
    if enqueue:
        transaction.on_commit(partial(_enqueue_run, imp.pk))
    return imp


def person_import_from_check(
    *, actor, check: PersonImport, source: str = ImportSource.WEB, create_accounts: bool | None = None
) -> PersonImport:
    """Import for real the file of a finished check (a dry run), with the check's options (`create_accounts`:
    or that choice, made beside the button: QA round 49, a check made without accounts imported without them
    with nothing to say so): the button on the check's page, so that the file need not be chosen and
    uploaded again. A second click (or a retried request) finds the import the first one made."""
    if not (check.dry_run and check.status == ImportStatus.DONE):
        raise ValidationError(ERR_NOT_A_CHECK)
    if not check.worth_importing:
        raise ValidationError(ERR_CHECK_NOTHING_TO_IMPORT)
    try:
        opened = check.file.open("rb")
    except OSError as exc:  # removed from storage since
        raise ValidationError(ERR_CHECK_FILE_GONE) from exc
    with opened as fh:
        return person_import_create(
            actor=actor,
            organisation=check.organisation,
            file=File(fh, name=check.original_name),
            original_name=check.original_name,
            mode=check.mode,
            create_accounts=check.create_accounts if create_accounts is None else create_accounts,
            language=check.language,
            submission_key=f"check-{check.pk}",
            source=source,
        )


def _enqueue_run(import_id: int) -> None:
    from .tasks import person_import_task

    result = person_import_task.enqueue(import_id)
    PersonImport.objects.filter(pk=import_id, task_id="").update(task_id=str(result.id)[:64])


def person_import_cancel(*, actor, person_import: PersonImport) -> PersonImport:
    """A queued import is cancelled at once; a running one stops before its next chunk. The request goes
    to storage first: while an import holds SQLite's write lock the database part waits briefly, gives
    up, and the runner still finds the request (`cancel_marker_name`)."""
    if actor is not None and not can_import_into(actor, person_import.organisation):
        raise PermissionDenied(ERR_SCOPE)
    name = person_import.cancel_marker_name
    if not default_storage.exists(name):  # it names who asked, for the runner's audit entry (see below)
        requester = str(actor.pk) if getattr(actor, "pk", None) else ""
        default_storage.save(name, ContentFile(requester.encode()))
    now = timezone.now()
    try:
        with short_lock_wait(), transaction.atomic():
            # Queued again after its worker died, with chunks written: it ends below, as a stalled one.
            queued = PersonImport.objects.filter(
                pk=person_import.pk, status=ImportStatus.QUEUED, rows_written=0
            ).update(
                status=ImportStatus.CANCELLED,
                cancel_requested=True,
                finished_at=now,
                updated_at=now,
                message=str(MSG_CANCELLED_NOTHING),
            )
            running = PersonImport.objects.filter(pk=person_import.pk, status=ImportStatus.RUNNING).update(
                cancel_requested=True  # not updated_at: a runner that died must still be seen as stale
            )
            if queued or running:  # otherwise the import has ended, and a runner that saw the file audited it
                audit_record(actor=actor, action="people.import.cancel", obj=person_import)
    except OperationalError:  # the database is locked by an import: the runner reads the file
        logger.info("cancel of import %s left to the storage marker: the database is locked", person_import.pk)
    person_import.refresh_from_db()
    if is_stale(person_import) or (person_import.status == ImportStatus.QUEUED and person_import.rows_written):
        try:
            _cancel_without_runner(actor, person_import)
        except OperationalError:  # SQLite locked by another import: asked again later, it ends then
            logger.info("cancel of stalled import %s: the database is locked", person_import.pk)
        person_import.refresh_from_db()
    if person_import.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):  # no runner will delete it
        default_storage.delete(name)
    return person_import  # with its committed counts: callers show it through selectors.person_import_get


def _cancel_without_runner(actor, person_import: PersonImport) -> None:
    """Cancel an import no runner is running: stalled (its worker died), or queued again after that with
    chunks written. It ends here as its runner would (Runner.end_cancelled): the chunks committed stay,
    with the codes of their accounts in the activation sheet. Taken over only if it has not moved since
    it was read (a worker that starts it meanwhile finds the request and cancels it itself)."""
    taken = PersonImport.objects.filter(
        pk=person_import.pk, status=person_import.status, updated_at=person_import.updated_at
    ).update(status=ImportStatus.RUNNING, cancel_requested=True, updated_at=timezone.now())
    if not taken:
        return
    if person_import.status == ImportStatus.QUEUED:  # not audited above: the queued update excluded it
        audit_record(actor=actor, action="people.import.cancel", obj=person_import)
    _end_cancelled_afresh(person_import.pk)


def _end_cancelled_afresh(import_id: int) -> None:
    """End a running import no runner is running as cancelled, from what it stored: its committed counts, and
    its committed chunks' codes gathered into the activation sheet (Runner.end_cancelled)."""
    imp = PersonImport.objects.select_related("organisation", "created_by").get(pk=import_id)
    with translation.override(imp.language or settings.LANGUAGE_CODE):
        runner = _Runner(imp)
        for attr, name in zip(_Runner.COUNTERS, runner.progress_fields(), strict=True):
            setattr(runner, attr, getattr(imp, name))
        runner.end_cancelled()


@contextmanager
def short_lock_wait(milliseconds: int = 1500):
    """SQLite: wait at most this long for the write lock (instead of the connection's 30 s, config/settings.py)."""
    if connection.vendor != "sqlite":
        yield
        return
    with sqlite_pragmas(busy_timeout=milliseconds):
        yield


@contextmanager
def sqlite_pragmas(**values: int):
    """SQLite: set these integer pragmas of the connection for the block, then put back what they were."""
    before: dict[str, int] = {}
    with connection.cursor() as cursor:
        for name, value in values.items():
            cursor.execute(f"PRAGMA {name}")
            before[name] = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA {name} = {int(value):d}")
    try:
        yield
    except BaseException:
        with suppress(DatabaseError):  # a statement cut by Ctrl+C may lock them: the block's error is the one
            _set_pragmas(before)
        raise
    _set_pragmas(before)


def _set_pragmas(values: dict[str, int]) -> None:
    with connection.cursor() as cursor:
        for name, value in values.items():
            cursor.execute(f"PRAGMA {name} = {value:d}")


def is_stale(person_import: PersonImport) -> bool:
    """A running import that has not moved for STALE_AFTER lost its worker (a restart, a crash)."""
    return person_import.status == ImportStatus.RUNNING and person_import.updated_at < timezone.now() - STALE_AFTER


def pdf_is_stale(person_import: PersonImport) -> bool:
    """The PDF cards were asked for (by the import's end, or again since: `updated_at`) STALE_AFTER ago
    and are still not there: the task that should have made them did not run."""
    return (
        bool(person_import.activation_sheet)
        and not person_import.activation_pdf
        and person_import.finished_at is not None
        and person_import.updated_at < timezone.now() - STALE_AFTER
    )


@transaction.atomic
def person_import_requeue(*, actor, person_import: PersonImport) -> PersonImport:
    """Queue again an import whose worker died: safe, because a run never writes a half chunk and
    importing the same rows again changes nothing."""
    if actor is not None and not can_import_into(actor, person_import.organisation):
        raise PermissionDenied(ERR_SCOPE)
    if is_stale(person_import) and person_import.cancelling:  # asked to stop, not to run again
        return person_import_cancel(actor=actor, person_import=person_import)
    if is_stale(person_import):
        PersonImport.objects.filter(pk=person_import.pk, status=ImportStatus.RUNNING).update(
            status=ImportStatus.QUEUED, phase="", task_id="", updated_at=timezone.now()
        )
        audit_record(actor=actor, action="people.import.requeue", obj=person_import)
        transaction.on_commit(partial(_enqueue_run, person_import.pk))
    person_import.refresh_from_db()
    return person_import


def activation_pdf_requeue(*, actor, person_import: PersonImport) -> PersonImport:
    """Ask again for the PDF cards when the task that should have made them did not."""
    if actor is not None and not can_import_into(actor, person_import.organisation):
        raise PermissionDenied(ERR_SCOPE)
    if pdf_is_stale(person_import):
        PersonImport.objects.filter(pk=person_import.pk).update(updated_at=timezone.now())
        transaction.on_commit(partial(_enqueue_pdf, person_import.pk))
        person_import.refresh_from_db()
    return person_import


@transaction.atomic
def activation_files_request(*, actor, person_import: PersonImport, renew: bool = False) -> PersonImport:
    """Ask for an import's activation sheet and PDF cards to be made again (`activation_files_remake`, in the
    background: at the largest imports it takes longer than a web request may). Until the task has run,
    `activation_job` says what is being done; then `activation_outcome` says how it ended."""
    if actor is not None and not can_import_into(actor, person_import.organisation):
        raise PermissionDenied(ERR_SCOPE)
    imp = PersonImport.objects.select_for_update().get(pk=person_import.pk)
    if not imp.activation_sheet:
        raise ValidationError(ERR_NO_ACTIVATION_SHEET)
    if activation_job_pending(imp):  # the same request twice
        raise ValidationError(ERR_FILES_BEING_MADE, code=BUSY)
    if not imp.activation_pdf and not pdf_is_stale(imp):
        raise ValidationError(ERR_PDF_BEING_MADE, code=BUSY)
    if renew:  # codes just given from a list to some of its people would stop working (QA round 53)
        people_services.lock_people_writes()  # a list's new codes being given now: after them
        refuse_codes_just_given(set(_import_accounts(imp)), besides=imp)
    job = ActivationJob.RENEW if renew else ActivationJob.REMAKE
    PersonImport.objects.filter(pk=imp.pk).update(activation_job=job, activation_outcome="", updated_at=timezone.now())
    transaction.on_commit(partial(_enqueue_activation, imp.pk, actor.pk if actor is not None else None))
    imp.refresh_from_db()
    return imp


def activation_job_pending(person_import: PersonImport) -> bool:
    """The activation files are being made again: until the task ends, the files stored are the old ones,
    whose codes a renewal is about to replace, so they are not given out."""
    return bool(person_import.activation_job) and not activation_job_is_stale(person_import)


def import_file_open(*, actor, person_import: PersonImport, field: str) -> File:
    """One of an import's stored files (`file`, `error_report`, `activation_sheet`, `activation_pdf`), open for
    download. The activation files are refused while they are being made again (ValidationError), and
    every download of them is recorded: they hold the codes that open the accounts."""
    stored = getattr(person_import, field)
    if not stored:
        raise Http404
    if field in ("activation_sheet", "activation_pdf"):
        if activation_job_pending(person_import):
            raise ValidationError(ERR_FILES_BEING_MADE, code=BUSY)
        audit_record(actor=actor, action=f"people.import.download_{field}", obj=person_import)
    return stored.open("rb")


def activation_job_is_stale(person_import: PersonImport) -> bool:
    """Making the activation files again was asked for STALE_AFTER ago and has not ended: its task did not run
    (or its worker died; its transaction then left the files as they were). It may be asked for again."""
    return bool(person_import.activation_job) and person_import.updated_at < timezone.now() - STALE_AFTER


def activation_files_remake(*, import_id: int, actor_id: int | None) -> PersonImport | None:
    """The task behind `activation_files_request`. Safe to run twice: the run that ends the job clears it."""
    try:
        with transaction.atomic():
            imp = PersonImport.objects.select_for_update().select_related("organisation").filter(pk=import_id).first()
            if imp is None or not imp.activation_job:
                return imp
            actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
            if activation_job_is_stale(imp):  # the page has said since that it would not be done
                outcome = ActivationOutcome.STALE
            elif actor_id is not None and (actor is None or not can_import_into(actor, imp.organisation)):
                outcome = ActivationOutcome.NOT_ALLOWED  # the rights were taken away since the request
            else:
                with translation.override(imp.language or settings.LANGUAGE_CODE):
                    outcome = _activation_files_make(actor, imp, renew=imp.activation_job == ActivationJob.RENEW)
            PersonImport.objects.filter(pk=imp.pk).update(
                activation_job="",
                activation_outcome=outcome,
                activation_listed=imp.activation_listed,
                activation_left_out=imp.activation_left_out,
            )
    except Exception:
        logger.exception("people import %s: making the activation files again failed", import_id)
        PersonImport.objects.filter(pk=import_id).exclude(activation_job="").update(
            activation_job="", activation_outcome=ActivationOutcome.FAILED
        )
    return PersonImport.objects.filter(pk=import_id).first()


def _activation_files_make(actor, imp: PersonImport, *, renew: bool) -> ActivationOutcome:
    """Make an import's activation sheet and PDF cards again from the stored sheet, with the site's address
    and wording (after SITE_URL was corrected, say) and the people's names and units as they are now (a
    person moved to another commune gets their card there: _activation_rows), for the accounts whose code still
    works; those already activated, or given a newer code from their page, are left out
    (`activation_left_out`). The usernames and codes, and their expiry, stay as they were.

    `renew`: new codes instead, valid to the end of the day ACTIVATION_DAYS from now, for every account
    the import made (its kept list, `accounts_list_name`) that was never activated (codes expired, or cards
    handed to the wrong people); the old codes stop working. Accounts activated, disabled, holding a role
    beyond a learner's or whose person has left the actor's units are left out.

    In the caller's transaction; the old files are deleted once the new sheet is committed."""
    old_names = [imp.activation_sheet.name, imp.activation_pdf.name]
    with imp.activation_sheet.open("rb") as stored:
        rows = list(workbooks.read_activation_rows(stored))
    listed = len(rows)
    if renew:
        usernames = _import_accounts(imp, rows)
        listed = len(usernames)
        renewed = people_services.activation_codes_renew(actor=actor, usernames=usernames)
        if not renewed:
            return ActivationOutcome.ALL_ACTIVATED
        imp.codes_renewed_at = timezone.now()
        rows = _activation_rows(renewed)  # with their people and units, as activation_codes_renew loads them
    else:
        pairs = [(row["username"], row["code"]) for row in rows]
        usable = people_services.activation_codes_usable(actor=actor, pairs=pairs)
        if not usable:
            return ActivationOutcome.NO_CODE_LEFT
        rows = _activation_rows(
            _accounts_of({row["username"]: row["code"] for row in rows if row["username"] in usable})
        )
    sheet = activation_workbook(imp)
    for row in rows:
        sheet.add(**row)
    imp.activation_listed, imp.activation_left_out = sheet.rows, listed - sheet.rows
    store_workbook(imp.activation_sheet, f"kich-hoat-{imp.pk}.xlsx", sheet)
    PersonImport.objects.filter(pk=imp.pk).update(
        activation_sheet=imp.activation_sheet.name,
        activation_pdf="",
        codes_renewed_at=imp.codes_renewed_at,
        codes_replaced=0,  # the new files leave out the codes replaced
        codes_replaced_at=None,
        updated_at=timezone.now(),  # the cards are asked for now (pdf_is_stale)
    )
    action = "people.import.renew_activation" if renew else "people.import.remake_activation"
    audit_record(actor=actor, action=action, obj=imp, accounts=sheet.rows, left_out=imp.activation_left_out)

    def replace() -> None:
        for name in old_names:
            if name:
                default_storage.delete(name)
        _enqueue_pdf(imp.pk)

    transaction.on_commit(replace)
    return ActivationOutcome.RENEWED if renew else ActivationOutcome.REMADE


def _import_accounts(imp: PersonImport, rows: list[dict] | None = None) -> list[str]:
    """The usernames of every account the import made (its kept list), or, for an import from before the list
    was kept, of its activation sheet (`rows`, if read already)."""
    if default_storage.exists(imp.accounts_list_name):
        with default_storage.open(imp.accounts_list_name, "rb") as fh:
            return fh.read().decode().split()
    if rows is None:
        with imp.activation_sheet.open("rb") as sheet:
            rows = list(workbooks.read_activation_rows(sheet))
    return [row["username"] for row in rows]


def activation_outcome_message(person_import: PersonImport) -> str:
    """The last making-again of the activation files, in words, for the import's page and the API."""
    outcome = person_import.activation_outcome
    if activation_job_is_stale(person_import) or outcome == ActivationOutcome.STALE:
        return str(MSG_JOB_STALE % {"minutes": STALE_AFTER.seconds // 60})
    if outcome in (ActivationOutcome.REMADE, ActivationOutcome.RENEWED):
        if outcome == ActivationOutcome.RENEWED:
            message = str(MSG_RENEWED % {"n": grouped(person_import.activation_listed)})
        else:
            message = str(MSG_REMADE)
        if person_import.activation_left_out:  # a renewal gives expired codes new ones (QA round 48)
            left_out = MSG_LEFT_OUT_RENEWED if outcome == ActivationOutcome.RENEWED else MSG_LEFT_OUT
            message += " " + str(left_out % {"n": grouped(person_import.activation_left_out)})
        return message
    return str(OUTCOME_ERRORS.get(outcome, ""))


# --- run ----------------------------------------------------------------------------------------


def person_import_run(*, import_id: int) -> PersonImport | None:
    """Run a queued import (safe to call twice: only the call that moves it from queued runs it)."""
    now = timezone.now()
    claimed = PersonImport.objects.filter(pk=import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, phase=ImportPhase.READING, started_at=now, updated_at=now
    )
    imp = PersonImport.objects.select_related("organisation", "created_by").filter(pk=import_id).first()
    if not claimed or imp is None:
        return imp
    with translation.override(imp.language or settings.LANGUAGE_CODE):
        runner = None
        outermost = not connection.in_atomic_block
        try:
            runner = _Runner(imp)
            runner.run()
        except KeyboardInterrupt:  # Ctrl+C on the command line: recorded as a cancel, not left "running"
            if outermost:
                leave_cut_transaction()
            if runner is None or not runner.finished:
                person_import_interrupted(import_id=import_id, runner=runner)
            raise
        except Exception:
            if runner is None:  # not begun: the caller sees the error, as before the run
                raise
            if runner.finished:  # after the outcome was recorded (the final checkpoint or ANALYZE): it stands
                logger.exception("people import %s: an error after it finished", import_id)
                return _with_timings(imp, runner)
            logger.exception("people import %s failed", import_id)
            try:
                runner.fail()
            except Exception:  # even the reports could not be saved: record the failure at least
                logger.exception("people import %s: saving the failure failed too", import_id)
                PersonImport.objects.filter(pk=import_id).update(
                    status=ImportStatus.FAILED, phase="", message=str(MSG_FAILED), finished_at=timezone.now()
                )
    return _with_timings(imp, runner)


@contextmanager
def interrupt_held():
    """Ctrl+C (SIGINT) held back until the block ends, then delivered to the handler it was meant for (the
    command line's KeyboardInterrupt, a worker's own): a finished import's last statements (its outcome, its
    PDF task, its audit entry) are not cut between them. Only the main thread receives signals."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is None:
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            signal.raise_signal(signal.SIGINT)


def leave_cut_transaction() -> None:
    """Ctrl+C inside `transaction.atomic()`'s start left a transaction open that no block will close: what
    was written after it (the cancel) was rolled back when the process ended (QA round 59). Rolled back here,
    and the connection back in autocommit, before the cancel is written."""
    if not connection.in_atomic_block and connection.get_autocommit():
        return
    connection.atomic_blocks.clear()
    connection.savepoint_ids.clear()
    connection.in_atomic_block = False
    connection.needs_rollback = False
    connection.rollback()
    connection.set_autocommit(True)


def person_import_interrupted(*, import_id: int, runner: _Runner | None = None) -> None:
    """Ctrl+C on the command line, whenever it comes: the import ends cancelled from its last commit, by its
    runner; queued, at once; running without its runner (cut while it began, or while it finished, its files
    half-saved: QA rounds 57-58), as a stalled import is cancelled: its committed chunks and their codes
    kept. Only if that fails too is it ended in one update."""
    if runner is not None:
        try:
            runner.interrupted()
            return
        except Exception:
            logger.info("people import %s: interrupted while finishing", import_id, exc_info=True)
    now = timezone.now()
    queued = PersonImport.objects.filter(pk=import_id, status=ImportStatus.QUEUED, rows_written=0)
    if queued.update(status=ImportStatus.CANCELLED, finished_at=now, message=str(MSG_CANCELLED_NOTHING)):
        return
    if not PersonImport.objects.filter(pk=import_id, status=ImportStatus.RUNNING).exists():
        PersonImport.objects.filter(pk=import_id).exclude(phase="").update(phase="")  # done, cut as it ended
        return
    try:
        _end_cancelled_afresh(import_id)
    except Exception:
        logger.info("people import %s: the cancel after an interrupt failed", import_id, exc_info=True)
        PersonImport.objects.filter(pk=import_id, status=ImportStatus.RUNNING).update(
            status=ImportStatus.CANCELLED, phase="", message=str(MSG_INTERRUPTED), finished_at=now
        )


def _with_timings(imp: PersonImport, runner: _Runner) -> PersonImport:
    imp.refresh_from_db()
    imp.timings = runner.timings  # seconds per phase, for bench/ (not stored)
    imp.chunk_seconds = runner.chunk_seconds
    return imp


class ActivationParts:
    """The codes of committed chunks, saved to storage as each chunk commits (a small CSV per chunk), so a
    worker that dies after a commit loses no code: the finish of this run, or of the next one, gathers
    them into the activation sheet. Clear codes live only there and in the sheet."""

    def __init__(self, import_id: int) -> None:
        self.folder = f"people-imports/activation-parts/{import_id}"
        self.seq = len(self.names())

    def names(self) -> list[str]:
        try:
            _dirs, files = default_storage.listdir(self.folder)
        except (FileNotFoundError, NotImplementedError):
            return []
        return sorted(f"{self.folder}/{name}" for name in files if name.endswith(".csv"))

    def add(self, rows: list[tuple]) -> None:
        self.seq += 1
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        default_storage.save(f"{self.folder}/{self.seq:06d}.csv", ContentFile(buffer.getvalue().encode()))

    @staticmethod
    def rows(names: list[str]):
        for name in names:
            with default_storage.open(name, "rb") as fh:
                yield from csv.reader(io.TextIOWrapper(fh, encoding="utf-8", newline=""))

    def clear(self, names: list[str] | None = None) -> None:
        for name in self.names() if names is None else names:
            default_storage.delete(name)
        self.seq = 0


def _accounts_of(codes: dict[str, str]) -> list[tuple[User, str]]:
    """These accounts (username → code), with their people and units as they are now, a query per 5,000."""
    usernames = list(codes)
    users = []
    for start in range(0, len(usernames), 5000):
        batch = User.objects.filter(username__in=any_of(usernames[start : start + 5000]), person__isnull=False)
        users += batch.select_related("person__organisation")
    return [(user, codes[user.username]) for user in users]


def _activation_rows(accounts: list[tuple[User, str]]) -> list[dict]:
    """The activation sheet's rows of these accounts (with their people and units loaded, as they are now: a
    sheet made again kept the names and units of the import, though people had moved since: QA round 47),
    unit by unit in the tree's order, each unit's rows in the given order."""
    ordered = sorted(enumerate(accounts), key=lambda item: (item[1][0].person.organisation.path, item[0]))
    return [
        {
            "full_name": person.full_name,
            "born": _born(person),
            "org_code": person.organisation.code,
            "org_name": person.organisation.name,
            "username": user.username,
            "code": code,
        }
        for _index, (user, code) in ordered
        for person in (user.person,)
    ]


def _path_ids(path: str) -> list[int]:
    """The ids of a unit and of those above it, from its path ("/00000001/00000005/")."""
    return [int(part) for part in path.strip("/").split("/") if part.isdigit()]


def _born(person: Person) -> str:
    """A person's birth as the activation sheet shows it: dd/mm/yyyy, or the year alone, or nothing."""
    return _dmy(person.date_of_birth) if person.date_of_birth else str(person.birth_year or "")


@lru_cache(maxsize=1 << 16)  # an import's people share birth dates: strftime once a date (0.25 s for 200,000)
def _dmy(day) -> str:
    return f"{day:%d/%m/%Y}"


@dataclass
class _Plan:
    rows: list[ParsedRow]
    creates: list[Person] = field(default_factory=list)
    # Each new person's key in _Runner.born and row (negative: without a CCCD), to give it its id once written.
    updates: dict[frozenset, list[Person]] = field(default_factory=dict)  # changed fields → people
    groups: list[tuple[Person, tuple[str, ...]]] = field(default_factory=list)  # new or changed group sets
    regroup_ids: list[int] = field(default_factory=list)  # existing people whose groups are replaced
    account_people: list[Person] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    account_only: int = 0
    accounts_needed: int = 0  # rows that get an account if written (what a check reports)


def _h32(value: str | None) -> int:
    """A phone or an email as its CRC-32 (never 0, which means none): namesakes told apart by them."""
    return zlib.crc32(value.encode()) | 1 if value else 0


_DAY0 = date(1900, 1, 1).toordinal() - 1


class _Known(NamedTuple):
    """A person a row may be: a stored namesake (`person`), or one that an earlier row of the file makes or
    changes (kept packed into one int in _Runner.born: a 200,000-row file keeps 200,000 of them). A row's
    looking up by name is one too (_lookup_of; kept packed in _Runner.loose, with `year`, `top` and
    `refused`: see _Runner.loosely_named)."""

    organisation_id: int  # 0, in a lookup: any unit of the import
    date_of_birth: date | None
    coded: bool  # has a CCCD number (or the row that claimed it this run had one)
    phone: int  # _h32
    email: int
    name: int  # text.name_signature
    number: int  # the row that made or claimed it this run (negative: a row without a CCCD); 0: none
    year: int = 0  # without a birth date: the year of birth known (Person.birth_year; a row's _year_of); 0: none
    person: Person | None = None
    top: int = -1  # a lookup: the _rank of the person(s) it found, -1 none
    refused: bool = False  # a lookup refused for the people it found (several, or not this row's person)

    @classmethod
    def of(cls, person: Person, *, number: int) -> _Known:
        return cls(
            organisation_id=person.organisation_id,
            date_of_birth=person.date_of_birth,
            coded=bool(person.cccd_hash) or number > 0,
            phone=_h32(person.phone),
            email=_h32(person.email),
            name=name_signature(person.full_name),
            number=number,
            year=person.year_alone or 0,
            person=person,
        )

    @classmethod
    def unpack(cls, value: int) -> _Known:
        number, value = value & 0xFFFFFFFF, value >> 32
        negative, coded, value = value & 1, value >> 1 & 1, value >> 2
        day, value = value & 0xFFFFF, value >> 20
        year, value = value & 0x1FF, value >> 9
        organisation_id, value = value & 0xFFFFFFFF, value >> 32
        phone, email, name = value & 0xFFFFFFFF, value >> 32 & 0xFFFFFFFF, value >> 64
        born = date.fromordinal(day + _DAY0) if day else None
        number = -number if negative else number
        return cls(organisation_id, born, bool(coded), phone, email, name, number, year + 1800 if year else 0)

    def pack(self) -> int:
        """Its fields but person, top and refused in one int (unpack reads them back)."""
        day = self.date_of_birth.toordinal() - _DAY0 if self.date_of_birth else 0
        value = ((self.name << 32 | self.email) << 32 | self.phone) << 32 | self.organisation_id
        value = (value << 9 | (self.year - 1800 if self.year else 0)) << 20 | day
        return (value << 2 | self.coded << 1 | (self.number < 0)) << 32 | abs(self.number)

    def pack_lookup(self) -> int:
        """A lookup in one int: pack's, then its top and refused (unpack_lookup reads them back)."""
        return self.pack() << 5 | self.refused << 4 | self.top + 1

    @classmethod
    def unpack_lookup(cls, value: int) -> _Known:
        meta = value & 0x1F
        return cls.unpack(value >> 5)._replace(top=(meta & 0xF) - 1, refused=meta > 0xF)

    @property
    def birth_year(self) -> int:
        """The year of birth known: its birth date's, or `year`; 0: none."""
        return self.date_of_birth.year if self.date_of_birth else self.year


def _year_of(r: ParsedRow) -> int:
    """The year of birth a row without a birth date gives (a "Năm sinh", or its CCCD's); 0: none, or dated."""
    return rules.birth_year_alone(r.date_of_birth, r.cccd, r.birth_year)


def _birth_year_after(r: ParsedRow, person: Person) -> int | None:
    """The person's Person.birth_year once the row is applied: kept only while no birth date is known."""
    if r.date_of_birth or person.date_of_birth:
        return None
    return _year_of(r) or person.birth_year


_VALUE_FIELDS = ("full_name", "date_of_birth", "sex", "phone", "email", "org_code", "position", "groups")
_ORG_VALUE = _VALUE_FIELDS.index("org_code")


def _values_of(r: ParsedRow) -> tuple:
    """What a row says of its person, to compare with another row (_disagreeing), in _VALUE_FIELDS' order;
    the name folded and its accents' signature (QA round 57: "Lê Thị Hạ" after "Lê Thị Hà" was taken for a
    copy, and dropped; round 58: "Hoà" and "Hòa" are one name), the birth its date, or the year alone."""
    born = r.date_of_birth or r.birth_year
    r.signature = r.signature or name_signature(r.full_name)
    name = (r.name_key, r.signature)
    return (name, born, r.sex, r.phone, r.email, r.organisation_id, r.position, r.groups)


_ROW_BITS = (1 << 32) - 1  # a row's number (reading.SHEET_ROWS a sheet) in _seen's low bits


def _seen(number: int, values: tuple) -> int:
    """A CCCD's first row, as _Runner.seen_cccd keeps it: its number, and above it a 64-bit digest of what it
    says (_values_of), which tells a copy of it word for word without keeping its values (200,000 tuples)."""
    return number | (hash(values) & 0xFFFF_FFFF_FFFF_FFFF) << 32


def _says_no_more(v, w) -> bool:
    """Whether a row's value `v` says nothing but what `w`, its CCCD's first row's, says: none, the same, or
    the year of w's date."""
    return v is None or v == w or (isinstance(w, date) and type(v) is int and w.year == v)


def _disagreeing(values: tuple, first: tuple) -> list[str]:
    """The fields (_VALUE_FIELDS) in which a row says more than the first row of its CCCD, or otherwise; a
    name typed without some of the first's accents says no more (merged_name keeps the first's)."""
    return [
        f
        for f, v, w in zip(_VALUE_FIELDS, values, first, strict=True)
        if not (_says_no_more(v, w) or (f == "full_name" and v[0] == w[0] and signature_adds_nothing(v[1], w[1])))
    ]


def _repeats(values: tuple, first: tuple | None) -> bool:
    """Whether a row says nothing but what the first row of its CCCD says (a summary sheet, whose columns
    may be fewer)."""
    return first is not None and not _disagreeing(values, first)


def _lookup_of(r: ParsedRow) -> _Known:
    """The row looking for its person by name: see _rank."""
    year = _year_of(r)
    signature = r.signature = r.signature or name_signature(r.full_name)
    number = r.number if r.cccd else -r.number
    return _Known(
        r.organisation_id or 0,
        r.date_of_birth,
        bool(r.cccd),
        _h32(r.phone),
        _h32(r.email),
        signature,
        number,
        year=year,
    )


def _ambiguity(r: ParsedRow, candidates: list[_Known]):
    """Why a row fits several people equally well (`candidates`, _Runner.identify), and what to do."""
    if r.date_of_birth and candidates[0].date_of_birth == r.date_of_birth:  # all born the row's day
        return ERR_AMBIGUOUS_CODED if r.cccd else ERR_AMBIGUOUS
    if (r.date_of_birth or r.cccd) and not any(k.date_of_birth for k in candidates):  # their pages must tell
        return ERR_AMBIGUOUS_UNDATED
    return ERR_AMBIGUOUS_ADD_DATE if r.cccd else ERR_AMBIGUOUS_NAME


def _rank(lookup: _Known, k: _Known | None) -> int:
    """How well `k` fits a row looking for its person by name (`lookup`): -1 not at all (another unit, another
    spelling, born another day, or in another year); else born on the row's day (8), without a CCCD for a row
    with a new one (4), one for each of the row's phone and email that k has, and for a row without a CCCD
    that says nothing k lacks, if k has a day exactly when the row has one, one, and one more if k has
    nothing the row lacks (the row an export gives k: not k's dated namesake, nor one with a phone, an
    e-mail or a CCCD more). A row is the best fitting person; several equally good leave it unclear which."""
    if (
        k is None
        or lookup.organisation_id not in (0, k.organisation_id)
        or not same_name_signature(lookup.name, k.name)
    ):
        return -1
    rank = 0
    if lookup.date_of_birth and k.date_of_birth:
        if k.date_of_birth != lookup.date_of_birth:
            return -1
        rank = 8
    elif lookup.birth_year and k.birth_year and lookup.birth_year != k.birth_year:
        return -1
    if lookup.coded and not k.coded:
        rank += 4
    elif (
        not lookup.coded
        and bool(lookup.date_of_birth) == bool(k.date_of_birth)  # both without a day, or born the same one
        and lookup.phone in (0, k.phone)
        and lookup.email in (0, k.email)
        and lookup.year in (0, k.year)
    ):
        rank += 1 + (not k.coded and (lookup.phone, lookup.email, lookup.year) == (k.phone, k.email, k.year))
    return rank + bool(lookup.phone and lookup.phone == k.phone) + bool(lookup.email and lookup.email == k.email)


def _shares_detail(lookup: _Known, k: _Known) -> bool:
    """Whether a row looking for its person by name has the same date of birth, phone or email as `k`."""
    return bool(
        (lookup.date_of_birth and lookup.date_of_birth == k.date_of_birth)
        or (lookup.phone and lookup.phone == k.phone)
        or (lookup.email and lookup.email == k.email)
    )


def _corroborates(lookup: _Known, k: _Known) -> bool:
    """Whether a row looking for its person by name has more of them than the name: the same date of birth,
    phone or email; or the same year of birth, when the row's phone and email are not others (QA round 35:
    a year shared by chance)."""
    if _shares_detail(lookup, k):
        return True
    contradicted = (lookup.phone and k.phone and lookup.phone != k.phone) or (
        lookup.email and k.email and lookup.email != k.email
    )
    return bool(lookup.year and lookup.year in (k.year, k.date_of_birth and k.date_of_birth.year) and not contradicted)


def _fitting(lookup: _Known, known: list[_Known]) -> tuple[int, list[_Known]]:
    """The best _rank among `known` (-1: none fits) and the people of `known` that have it."""
    ranked = [(_rank(lookup, k), k) for k in known]
    top = max((rank for rank, _k in ranked), default=-1)
    return top, [k for rank, k in ranked if rank == top >= 0]


@contextmanager
def collected_between_chunks():
    """Python's automatic collector off for the run, one collection after each chunk instead.

    A chunk keeps about a million objects alive (rows, people, accounts, and the reference cycles between
    an account and its person), so the automatic collector, triggered by allocations, walked them all
    every second chunk: 1.2 s of a 40,000-row import and 7.6 s of a 200,000-row one, growing faster than
    the rows. Between chunks almost nothing is alive, and the objects from before the run are frozen out
    of the walk, so each collection is short; at most one chunk's cyclic garbage waits for it."""
    enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _unstashed(stash):
    while True:
        try:
            yield pickle.load(stash)  # noqa: S301 (a temporary file this run wrote)
        except EOFError:
            return


class _Runner:
    def __init__(self, imp: PersonImport):
        self.imp = imp
        self.actor = imp.created_by
        self.root = imp.organisation
        self.org_ids: dict[str, int] = {}
        self.org_codes: dict[int, str] = {}
        self.org_space: dict[int, int | None] = {}
        self.org_unit_names: dict[int, str] = {}  # in the tree's order: the error workbook's drop-down lists
        self.org_paths: dict[int, str] = {}
        units = Organisation.objects.filter(path__startswith=self.root.path).order_by("path")
        for pk, code, space_id, name, path in units.values_list("pk", "code", "space_id", "name", "path"):
            self.org_ids[code.upper()] = pk
            self.org_codes[pk] = code
            self.org_space[pk] = space_id
            self.org_unit_names[pk] = name
            self.org_paths[pk] = path
        self._actors_other_units: dict[int, str] | None = None
        self.unit_ranks: dict[str, int] | None = None  # unit code → place in the tree (unit_rank)
        self.errors: workbooks.ErrorWorkbook | None = None
        self.parts = ActivationParts(imp.pk)
        self.parts_gathered: list[str] = []  # the parts the activation sheet was made of (_store_files)
        self.validator: RowValidator | None = None
        self.date_order: tuple[str, bool] | None = None  # of the file's dates (validation.date_order)
        self.timings: dict[str, float] = {}
        self.chunk_seconds: list[float] = []  # each chunk's time from reading to collecting, for bench/
        self.finished = False
        self.named_by_note = False  # the column of units' names read as an error workbook's title says
        self.table: reading.Table | None = None  # the file as opened (a check pass's, for a write pass)
        self.resumed = imp.rows_written  # rows an earlier run of this import committed before its worker died
        self.reset()

    @contextmanager
    def timed(self, phase: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - started

    COUNTERS = ("read", "valid", "written", "created", "updated", "unchanged", "rejected", "accounts")

    def reset(self) -> None:
        self.read = self.valid = self.written = 0
        self.created = self.updated = self.unchanged = self.rejected = self.accounts = 0
        self.committed = dict.fromkeys(self.COUNTERS, 0)
        self.rewound = False  # the counts went back to the last commit (back_to_last_commit)
        self.uncommitted_parts: list[list[tuple]] = []
        self.forget_rows()
        self.errors = None
        self.free: dict[int, int] = {}
        self.spaces: dict[int, Space] = {}
        self.tally = people_services.AccountTally()
        self.over_quota: dict[int, int] = {}  # space id → rows rejected because its quota ran out
        # Rows refused because their CCCD is someone's outside the importer's scope: the refusal tells
        # that the number is on the platform, so the run's audit entry counts them (probing shows there).
        self.cccd_elsewhere = 0
        self.codes_mixed = self.codes_mixed_first = 0  # rows refused for a code not theirs (match_code), the first
        self.repeated = 0  # rows of a later sheet that repeat an earlier one's (see _plan): unchanged
        self.copied = 0  # rows that copy an earlier row of their sheet word for word: unchanged too
        self.copied_bare = 0  # … rows without a CCCD that copy an earlier row
        self.copies_shown: list[tuple[int, int]] = []  # the first of them (COPIES_SHOWN), with the row they copy
        self.updated_rows: list[tuple[int, list[str]]] = []  # the first rows that change someone, and what

    def forget_rows(self) -> None:
        """What the run keeps about the rows read so far (a few dozen MB for 200,000 rows): emptied at the
        start of a pass, and before the workbooks are saved, which need none of it."""
        self.seen_cccd: dict[int, int] = {}  # CCCD → its first row (_seen), negative once that row is refused
        self.seen_copies: dict[int, int] = {}  # the same for rows without a CCCD, by a digest of their values
        self.quota_refused: dict[int, int] = {}  # row refused as its space's quota ran out → the space
        # A workbook of several sheets: each valid row's values (_values_of) by its number, until it is refused
        # (but the last sheet read's, which no later row repeats); a later sheet's row that repeats it is
        # unchanged with it (duplicates_in_file, sheet_repeat).
        self.row_values: dict[int, tuple] = {}
        self.sheet_repeats: dict[int, int] = {}  # the chunk's rows sheet_repeat found repeating an earlier row
        self.refused_cccd: dict[int, int] = {}  # … and the rows the row check refused, by their CCCD numbers
        # The rows the row check refused, by their folded names (a hash), and what they say (refused_repeat)
        self.refused_named: dict[int, tuple[int, ...]] = {}
        self.refused_values: dict[int, tuple] = {}
        # The people this run creates (or would create) or renames, by folded name and birth date: _Known,
        # packed (remember); the birth dates of each folded name, for rows without one (born_with).
        # Ints, bytes and tuples of ints only, which the collector leaves alone once it has seen them (lists,
        # sets and arrays it walks after every chunk: collected_between_chunks).
        self.born: dict[int, int] = {}
        self.born_more: dict[int, tuple[int, ...]] = {}  # a second person (or more) of the same name and day
        # The birth days of each folded name (days since 1900, 0: unknown), 4 bytes each: bytes, not arrays,
        # which the collector walks (an array is tracked: 62,000 of them after 200,000 rows).
        self.born_days: dict[int, bytes] = {}
        self.known_namesakes: dict[int | None, set[int]] = {}  # see has_namesake
        self.claimed: dict[int, int] = {}  # stored person's id → the row that matched it (negative: no CCCD)
        # Stored people whose stored values are not what the run makes of them: those the rows change, or
        # create (self.born has them as the rows leave them). A dict of ints, not a set: the collector never
        # walks it (a set is always tracked: 200,000 ids walked after every chunk).
        self.changed: dict[int, None] = {}
        self.loose: dict[int, tuple[int, ...]] = {}  # folded name → lookups (_Known.pack_lookup): see match
        self.renamed: dict[int, str] = {}  # stored person's id → the name an earlier row gave them

    # -- driving ------------------------------------------------------------------------------
    def run(self) -> None:
        with self.database_tuned(), collected_between_chunks():
            self._run()

    @contextmanager
    def database_tuned(self):
        """SQLite: a page cache large enough for the indexes of a few hundred thousand people (the default
        2 MB makes every insert into a random-key index a cache miss once the tables grow), and fewer,
        larger WAL checkpoints (a page changed by several chunks is copied once); at the end, one checkpoint
        that never waits for readers (PASSIVE). With synchronous=NORMAL a commit is not flushed to disk
        until the next checkpoint, and the larger interval could leave a whole import in the log, lost to a
        power cut after its activation sheet was handed out; the checkpoint syncs it (0.1 s for 40,000).
        PostgreSQL: remember how many people the planner last saw (see maybe_analyze)."""
        self.analyzed_rows = self.rows_since_analyze = 0
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA page_size")  # 8 KB for a database made with config/settings.py's
                checkpoint_pages = SQLITE_CHECKPOINT_BYTES // cursor.fetchone()[0]
            try:
                with sqlite_pragmas(cache_size=-SQLITE_CACHE_KIB, wal_autocheckpoint=checkpoint_pages):
                    yield
            except BaseException:
                # QA round 55: after Ctrl+C cut a statement, the checkpoint failed ("database table is
                # locked") and that error replaced the interrupt: the import was recorded as failed, not cancelled
                with suppress(DatabaseError):
                    self.checkpoint()
                raise
            self.checkpoint()
            return
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Person._meta.db_table])
                row = cursor.fetchone()
                self.analyzed_rows = max(int(row[0]), 0) if row else 0
            self.sampled = False
            yield
            if self.sampled:  # the full statistics the rest of the platform plans with: in a task of its own
                transaction.on_commit(_enqueue_statistics)  # (about 0.5 s at 40,000 people, 0.9 s at 200,000)
            return
        yield

    def checkpoint(self) -> None:
        """SQLite: the write-ahead log copied into the database file and synced (see database_tuned)."""
        if not connection.in_atomic_block:  # a caller's transaction: its commit is not ours
            with self.timed("write the log into the database file"), connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def maybe_analyze(self, written: int) -> None:
        """PostgreSQL plans from statistics taken when the tables were small: after a bulk load they say
        "a few hundred rows" and the quota count turns into nested loops (0.5 s a chunk at 200,000 people
        instead of 0.1). Refresh them each time the tables have doubled: a handful of ANALYZEs a run."""
        if connection.vendor != "postgresql":
            return
        self.rows_since_analyze += written
        if self.rows_since_analyze < max(self.analyzed_rows, ANALYZE_MIN_ROWS):
            return
        self.analyze(target=ANALYZE_DURING_IMPORT_TARGET)
        self.sampled = True
        self.analyzed_rows += self.rows_since_analyze
        self.rows_since_analyze = 0

    @staticmethod
    def analyze(target: int | None = None) -> None:
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Person, PersonTargetGroup, User))
        with connection.cursor() as cursor:
            if target is None:
                cursor.execute(f"ANALYZE {tables}")
                return
            cursor.execute(f"SET default_statistics_target = {int(target):d}")
            try:
                cursor.execute(f"ANALYZE {tables}")
            finally:
                cursor.execute("RESET default_statistics_target")

    def _run(self) -> None:
        imp = self.imp
        self.checked: dict | None = None  # all or nothing: the counts of its check pass
        if self.actor is not None and not can_import_into(self.actor, self.root):
            self.finish(ImportStatus.FAILED, str(ERR_SCOPE))
            return
        try:
            if imp.dry_run:
                self.run_pass(write=False)
                message = self.summary(str(MSG_DRY_RUN))
                if self.read and not (self.created + self.updated + self.unchanged):
                    nothing = MSG_DRY_RUN_NOTHING_QUOTA if self.only_over_quota() else MSG_DRY_RUN_NOTHING
                    message = f"{nothing} {message}"
                elif imp.mode == ImportMode.ALL_OR_NOTHING and self.rejected:
                    refused = MSG_DRY_RUN_REFUSED_QUOTA if self.only_over_quota() else MSG_DRY_RUN_REFUSED
                    message += " " + str(refused % {"rejected": grouped(self.rejected)})
                self.finish(ImportStatus.DONE, message)
            elif imp.mode == ImportMode.COMMIT_VALID:
                self.set_phase(ImportPhase.IMPORTING)
                self.run_pass(write=True, chunk_transactions=True)
                self.finish(ImportStatus.DONE, self.summary())
            else:
                with tempfile.TemporaryFile() as stash:  # the checked rows, read again by the write pass
                    self.run_pass(write=False, stash=stash)
                    if self.rejected:
                        self.refuse()
                        return
                    # A cancel during the write pass writes nothing and shows these, as a refusal does: not
                    # the write pass's partial counts, lower than the check's that the page showed before.
                    self.checked = {attr: getattr(self, attr) for attr in self.COUNTERS}
                    self.set_phase(ImportPhase.WRITING)
                    self.parts.clear()  # codes of an earlier, rolled-back attempt
                    try:
                        with transaction.atomic():
                            people_services.lock_people_writes()
                            self.run_pass(write=True, chunk_transactions=False, replay=stash)
                            if self.rejected:
                                raise _Refused
                    except _Refused:
                        self.refuse()
                        return
                    self.finish(ImportStatus.DONE, self.summary())
        except _Cancelled:
            requester = self.cancel_requester()
            if self.checked is not None:
                for attr, value in self.checked.items():
                    setattr(self, attr, value)
            self.end_cancelled()
            # A cancel that reached this runner through storage alone (the database was locked) has no
            # audit entry yet: person_import_cancel writes one only with its flag, and after finish() it
            # can set neither.
            if not PersonImport.objects.filter(pk=imp.pk, cancel_requested=True).exists():
                actor = User.objects.filter(pk=int(requester)).first() if requester.isdigit() else None
                audit_record(actor=actor, action="people.import.cancel", obj=imp, via="storage")
        except reading.ReadError as exc:  # the file turned out unreadable, possibly after some chunks
            self.fail(exc.text())

    def refuse(self) -> None:
        """Nothing is written; the counts, the accounts' too, say what the import would have done."""
        rejected = grouped(self.rejected)
        refused = MSG_REFUSED_QUOTA if self.only_over_quota() else MSG_REFUSED
        message = self.summary(str(refused % {"rejected": rejected}), would=True)
        self.finish(ImportStatus.REFUSED, message, written=False)

    def only_over_quota(self) -> bool:
        """Whether the rows rejected were all rejected for want of learner accounts (the summary leads with it)."""
        return bool(self.rejected) and sum(self.over_quota.values()) == self.rejected

    def back_to_last_commit(self) -> bool:
        """After an error or an interrupt: committed chunks (commit-valid mode) keep their activation codes,
        and the counts go back to the last commit (the open transaction was rolled back). Whether anything
        can have been kept."""
        if self.imp.mode == ImportMode.ALL_OR_NOTHING or self.imp.dry_run:
            return False
        for attr, value in self.committed.items():
            setattr(self, attr, value)
        self.rewound = True
        return True

    def fail(self, message: str | None = None) -> None:
        """After an error; the message says what was kept."""
        kept = self.back_to_last_commit()
        if message is None:
            message = str(MSG_FAILED)
        elif kept and self.written:
            message += " " + str(MSG_KEPT % {"written": grouped(self.written)})
        self.finish(ImportStatus.FAILED, message, written=kept)

    def interrupted(self) -> None:
        """Stopped from outside (Ctrl+C on the command line): a cancel, from the last commit."""
        self.end_cancelled(kept=self.back_to_last_commit())

    def end_cancelled(self, *, kept: bool = True) -> None:
        """End as cancelled. Commit-valid mode keeps the whole chunks committed, with their accounts' codes
        (ActivationParts): this run's (`kept`: its counts are those of its last commit), and those of an
        earlier run of the same import whose worker died (`resumed`: run again, or cancelled while stalled)."""
        written = max(self.written if kept else 0, self.resumed)
        if written and self.imp.mode == ImportMode.COMMIT_VALID and not self.imp.dry_run:
            self.written = written
            self.finish(ImportStatus.CANCELLED, str(MSG_CANCELLED % {"written": grouped(written)}))
        else:
            self.finish(ImportStatus.CANCELLED, str(MSG_CANCELLED_NOTHING), written=False)

    def run_pass(self, *, write: bool, chunk_transactions: bool = False, stash=None, replay=None) -> None:
        """One pass over the rows. `stash`: a file to keep the checked rows in; `replay`: such a file, read
        instead of the upload (the write pass of all-or-nothing does not read and check the file again)."""
        self.reset()
        self.writing = write
        with ExitStack() as opened:
            if replay is not None:
                replay.seek(0)
                parsed = _unstashed(replay)
            else:
                fh = opened.enter_context(self.imp.file.open("rb"))
                with self.timed("open the file"):
                    table = reading.open_table(fh, self.imp.original_name)
                self.imp.unknown_columns = table.unknown
                self.imp.rows_total = table.total
                PersonImport.objects.filter(pk=self.imp.pk).update(
                    unknown_columns=table.unknown, rows_total=table.total
                )
                self.validator = RowValidator(
                    column=table.header,
                    organisations=self.org_ids,
                    unit_names=self.org_unit_names,
                    named_rows=table.unit_named_rows,
                    names_beside=table.unit_names_beside,
                    unit_paths=self.org_paths,
                    places=self.place_names(),
                    row_label=table.row_label,
                    date1904=table.date1904,
                )
                self.table = table
                rows = iter(table.rows)
                first = []
                if "org_name" in table.columns or any(
                    reading.names_units(title)
                    for h in table.sheet_headers or [table.headers]
                    if (title := h.get("org_code"))
                ):  # a column of units' names: what it gives, from the first rows (decide_named)
                    self.know_elsewhere()
                    noted = reading.units_named_note(table.headers.get("org_name") or table.headers.get("org_code"))
                    self.named_by_note = noted is not None
                    if noted is not None:  # an error workbook: as its import read it (QA rounds 48-49)
                        self.validator.named_units, self.validator.decided = noted, True
                    else:
                        first = list(islice(rows, NAMED_UNITS_DECIDED_BY))
                        self.validator.decide_named(first)
                parsed = (self.parse(chunk) for chunk in reading.chunked(chain(first, rows), CHUNK_SIZE))
            if self.imp.create_accounts:
                self.load_quota()
            with ExitStack() as group:  # commit-valid: the open transaction, over up to TRANSACTION_ROWS rows
                in_group = 0
                while True:
                    chunk_started = time.perf_counter()
                    with self.timed("read and check rows"):
                        rows = next(parsed, None)
                        if rows is None:
                            break
                        if stash is not None:
                            pickle.dump(rows, stash, protocol=pickle.HIGHEST_PROTOCOL)
                    with self.timed("progress and cancel checks"):
                        cancelled = self.cancel_requested()
                    if cancelled:
                        self.commit(group)  # the chunks already done are kept whole
                        raise _Cancelled
                    if write and chunk_transactions and not in_group:
                        group.enter_context(transaction.atomic())
                        people_services.lock_people_writes()  # before matching: another import's people are committed
                    with self.timed("chunk transactions (total)"):
                        plan = self.plan(rows)
                        created_accounts = self.write(plan) if write else []
                        self.count(plan, written=write)
                        with self.timed("progress and cancel checks"):
                            if not write:  # a check: no transaction is open
                                self.save_progress()
                            else:  # the open transaction shows in the database at its commit
                                self.publish_live_counts()
                    with self.timed("error and activation workbooks"):
                        self.record(plan, created_accounts)
                    in_group += len(rows)
                    if in_group >= TRANSACTION_ROWS:
                        in_group = 0
                        self.commit(group)
                        if write and chunk_transactions:
                            # Saved after the commit, not inside the transaction: nobody would see it sooner,
                            # and the import's row would stay locked, so a cancel would wait for the commit.
                            with self.timed("progress and cancel checks"):
                                self.save_progress()
                    if write:
                        with self.timed("refresh planner statistics"):
                            self.maybe_analyze(plan.created + len(created_accounts))
                    del rows, plan, created_accounts
                    with self.timed("garbage collection"):
                        gc.collect()
                    self.chunk_seconds.append(time.perf_counter() - chunk_started)
                self.commit(group)
                if write and chunk_transactions:  # what a cancel after it keeps (QA round 58: Ctrl+C while it
                    with self.timed("progress and cancel checks"):  # finished found the counts of the commit before)
                        self.save_progress()

    def commit(self, group: ExitStack) -> None:
        with self.timed("commits"):
            group.close()
        self.committed = {attr: getattr(self, attr) for attr in self.COUNTERS}
        with self.timed("error and activation workbooks"):
            for part in self.uncommitted_parts:
                self.parts.add(part)
        self.uncommitted_parts = []

    def cancel_requester(self) -> str:
        """The id of the user who asked to cancel, as person_import_cancel wrote it in storage ("" if none)."""
        try:
            with default_storage.open(self.imp.cancel_marker_name) as fh:
                return fh.read().decode(errors="replace").strip()
        except OSError:
            return ""

    def cancel_requested(self) -> bool:
        return default_storage.exists(self.imp.cancel_marker_name) or (
            PersonImport.objects.filter(pk=self.imp.pk, cancel_requested=True).exists()
        )

    def set_phase(self, phase: str) -> None:
        PersonImport.objects.filter(pk=self.imp.pk).update(phase=phase, updated_at=timezone.now())

    def progress_fields(self) -> dict:
        return {
            "rows_read": self.read,
            "rows_valid": self.valid,
            "rows_written": self.written,
            "created_count": self.created,
            "updated_count": self.updated,
            "unchanged_count": self.unchanged,
            "rejected_count": self.rejected,
            "accounts_created": self.accounts,
        }

    def save_progress(self) -> None:
        PersonImport.objects.filter(pk=self.imp.pk).update(**self.progress_fields(), updated_at=timezone.now())

    def publish_live_counts(self) -> None:
        """The counts so far (rows read, valid, written, created …), for the page and the API while the
        transaction is open (all or nothing: the whole write pass)."""
        counts = {"started_at": self.imp.started_at.isoformat(), **self.progress_fields()}
        name = self.imp.live_counts_name
        default_storage.delete(name)  # storage has no overwrite; a reader meanwhile sees the committed counts
        default_storage.save(name, ContentFile(json.dumps(counts).encode()))

    def summary(self, prefix: str = "", *, would: bool = False) -> str:
        n = grouped
        parts = [prefix] if prefix else []
        counts = {
            "created": n(self.created),
            "updated": n(self.updated),
            "unchanged": n(self.unchanged),
            "rejected": n(self.rejected),
        }
        parts.append(str((MSG_SUMMARY_WOULD if would or self.imp.dry_run else MSG_SUMMARY) % counts))
        if self.updated_rows and self.table is not None:  # who changed, and what (QA round 47: a count alone)
            shown = [
                self.table.row_label(number)
                + (f" ({', '.join(self.table.header(f, number) for f in fields)})" * bool(fields))
                for number, fields in self.updated_rows[:UPDATED_ROWS_SHOWN]
            ]
            rows = "; ".join(shown) + ("; …" if len(self.updated_rows) > UPDATED_ROWS_SHOWN else "")
            parts.append(str(MSG_UPDATED_ROWS % {"rows": rows}))
        if self.accounts:
            accounts = MSG_ACCOUNTS_DRY_RUN if would or self.imp.dry_run else MSG_ACCOUNTS
            parts.append(str(accounts % {"accounts": n(self.accounts)}))
        for space_id, rows in self.over_quota.items():
            space = self.spaces[space_id]
            parts.append(
                str(MSG_QUOTA_SUMMARY % {"rows": n(rows), "space": space.name, "quota": n(space.learner_quota)})
            )
        if not self.read:
            parts = [str(MSG_NO_ROWS)]
        table = self.table
        if table is not None and table.passed_over:
            row, text = table.passed_over_first
            label = table.row_label(row)
            counts = {"count": table.passed_over, "rows": n(table.passed_over), "row": label, "text": text}
            parts.append(str(MSG_PASSED_OVER % counts))
        if self.codes_mixed:
            count = self.codes_mixed
            values = {"rows": n(count), "row": self.table.row_label(self.codes_mixed_first)}
            parts.append(str(MSG_CODES_MIXED % values))
        if table is not None and table.untitled_rows:
            row, column, value = table.untitled_first
            values = {"count": table.untitled_rows, "rows": n(table.untitled_rows), "row": table.row_label(row)}
            parts.append(str(MSG_UNTITLED % {**values, "column": column, "value": value}))
            if reading.file_suffix(self.imp.original_name) == ".csv":
                parts.append(str(MSG_UNTITLED_CSV))
        if table is not None and table.footer_skipped:
            starts = [table.row_label(row) for row in ([table.footer_row] if table.footer_row else [])]
            starts += [table.row_label(row) for row in table.later_footers]
            message = MSG_FOOTER if len(starts) == 1 else MSG_FOOTERS  # one a sheet (QA round 39)
            parts.append(str(message % {"row": ", ".join(starts), "rows": n(table.footer_skipped)}))
        if self.validator is not None and self.validator.places_passed_over:
            shown = self.validator.places_shown
            places = ", ".join(f"“{place}”" for place in shown[:NAMED_UNITS_SHOWN])
            places += ", …" if len(shown) > NAMED_UNITS_SHOWN else ""
            column = table.headers.get("org_name") or table.headers.get("org_code", "")  # the names' (QA round 47)
            count = self.validator.places_passed_over
            values = {"rows": n(count), "count": count, "column": column, "places": places}
            values |= {"first": n(min(NAMED_UNITS_DECIDED_BY, self.read)), "own": self.root.name}
            parts.append(str((MSG_PLACES_NOT_UNITS_NOTED if self.named_by_note else MSG_PLACES_NOT_UNITS) % values))
        if self.validator is not None and self.validator.units_differ:  # the code placed them (QA round 51)
            differ = self.validator.units_differ
            shown, numbered = self.validator.units_differ_shown, self.validator.units_differ_rows
            examples = "; ".join(
                str(MSG_UNITS_DIFFER_ROW % {"row": table.row_label(row), "code": code, "written": name, "other": other})
                for row, code, name, other in shown
            )
            if differ > len(shown):  # the others by number, so that each can be found (QA round 54)
                more = ", ".join(table.row_label(row) for row in numbered[len(shown) :])
                examples += "; " + str(
                    MSG_UNITS_DIFFER_MORE % {"rows": more + (", …" if differ > len(numbered) else "")}
                )
            values = {"count": differ, "rows": n(differ), "column": table.headers.get("org_name", "")}
            parts.append(str(MSG_UNITS_DIFFER % {**values, "examples": examples}))
        if self.date_order and self.date_order[0] == MONTH_FIRST:
            parts.append(str(MSG_MONTH_FIRST))
        if table is not None and table.hidden_read:
            parts.append(str(MSG_HIDDEN % {"rows": n(table.hidden_read)}))
        others = ", ".join(f"“{name}”" for name in table.other_sheets) if table is not None else ""
        if table is not None and len(table.sheets) > 1:
            named = ", ".join(f"“{table.sheets[i]}”" for i in table.read_order)
            reordered = table.read_order != sorted(table.read_order)
            parts.append(str((MSG_SHEETS_REORDERED if reordered else MSG_SHEETS_READ) % {"sheets": named}))
            if self.repeated:
                parts.append(str(MSG_REPEATED % {"count": self.repeated, "rows": n(self.repeated)}))
            if others:
                parts.append(str(MSG_SHEETS_NOT_READ % {"others": others}))
        elif others:
            parts.append(str(MSG_SHEETS % {"sheet": table.sheet, "others": others}))
        if table is not None and table.hidden_sheets:  # QA round 38: a hamlet's sheet hidden, its people not read
            hidden = ", ".join(f"“{name}”" for name in table.hidden_sheets)
            parts.append(str(MSG_HIDDEN_SHEETS % {"sheets": hidden}))
        if self.copied:  # after the sheets they may name (QA round 59)
            parts.append(str(MSG_COPIED % {"count": self.copied, "rows": n(self.copied)}))
        if bare := self.copied_bare:
            label = table.row_label
            shown = [str(MSG_COPY_OF % {"row": label(row), "first": label(first)}) for row, first in self.copies_shown]
            examples = "; ".join(shown) + ("; …" if bare > len(shown) else "")
            parts.append(str(MSG_COPIED_BARE % {"count": bare, "rows": n(bare), "examples": examples}))
        return " ".join(parts)

    def finish(self, status: str, message: str, *, written: bool = True) -> None:
        imp = self.imp
        if status == ImportStatus.DONE and not self.read:  # no data rows (the message says so): nothing to do
            status = ImportStatus.FAILED  # as the command line exits non-zero; the page shows it as an error
        elif status == ImportStatus.DONE and not imp.dry_run and not (self.created + self.updated + self.unchanged):
            status = ImportStatus.FAILED  # every row rejected: not "done", as the command line exits non-zero
            message = f"{MSG_NOTHING_QUOTA if self.only_over_quota() else MSG_NOTHING_IMPORTED} {message}"
        if not written:  # rolled back: a refusal's and a cancel's counts say what would have been done
            self.written = 0
            if status == ImportStatus.FAILED:
                self.accounts = 0
        fields = {
            **self.progress_fields(),
            "status": status,
            "phase": "",
            "message": message,
            "finished_at": timezone.now(),
        }
        self.set_phase(ImportPhase.FINISHING)
        self.forget_rows()
        with self.timed("save the workbooks"):
            self._store_files(fields, written)
        # A cancel that came too late to stop the run, as late as while its files were stored (QA round 27, 28)
        if status != ImportStatus.CANCELLED and self.cancel_requested():
            fields["message"] = f"{message} {MSG_CANCEL_TOO_LATE}"
        with interrupt_held():  # the outcome, its PDF task and audit entry all, or none (Ctrl+C before them)
            self._record_outcome(fields, status)

    def _record_outcome(self, fields: dict, status: str) -> None:
        imp = self.imp
        PersonImport.objects.filter(pk=imp.pk).update(**fields, updated_at=timezone.now())
        if "activation_sheet" in fields:  # after the update that names the sheet: the task reads it
            transaction.on_commit(partial(_enqueue_pdf, imp.pk))
            # Not before: cut between the two (Ctrl+C), a cancel gathers the codes again (QA round 59)
            self.parts.clear(self.parts_gathered)
        default_storage.delete(imp.live_counts_name)  # after the final counts: see selectors.person_import_get
        default_storage.delete(imp.cancel_marker_name)
        audit_record(
            actor=self.actor,
            action="people.import.run",
            obj=imp,
            status=status,
            dry_run=imp.dry_run,
            cccd_elsewhere=self.cccd_elsewhere,
            **{k: v for k, v in self.progress_fields().items()},
        )
        self.finished = True

    def _store_files(self, fields: dict, written: bool) -> None:
        imp = self.imp
        # Rewound to the last commit (Ctrl+C, an error), the report also holds rows of the chunks rolled back
        # (QA round 60: "0 rows read" beside 199 errors): none kept when no rejected row was, else said so
        if self.errors is not None and self.errors.rows and not (self.rewound and not self.rejected):
            if self.rewound and self.errors.rows > self.rejected:
                fields["message"] = f"{fields['message']} {MSG_ERRORS_NOT_KEPT}"
            store_workbook(imp.error_report, f"loi-{imp.pk}.xlsx", self.errors)
            fields["error_report"] = imp.error_report.name
            fields["first_errors"] = self.errors.first_messages
            fields["error_messages"] = self.errors.messages
        if not written or imp.dry_run:
            self.parts.clear()
            return
        names = self.parts.names()
        if names:
            sheet = activation_workbook(imp)
            usernames = []
            unit_names = {self.org_codes[pk]: name for pk, name in self.org_unit_names.items()}
            # Each part is sorted by unit (record): merged, the sheet is too, each unit's rows in the file's order
            rows = heapq.merge(*(self.parts.rows([name]) for name in names), key=self.unit_rank)
            for row in rows:  # parts saved before the birth date was added have four values
                born = row[4] if len(row) > 4 else ""
                org_name = unit_names.get(row[1], "")
                sheet.add(full_name=row[0], org_code=row[1], username=row[2], code=row[3], born=born, org_name=org_name)
                usernames.append(row[2])
            default_storage.delete(imp.accounts_list_name)  # a run again after a crash: its list replaces
            default_storage.save(imp.accounts_list_name, ContentFile("\n".join(usernames).encode()))
            store_workbook(imp.activation_sheet, f"kich-hoat-{imp.pk}.xlsx", sheet)
            fields["activation_sheet"] = imp.activation_sheet.name
            self.parts_gathered = names  # cleared once the import's row names the sheet (finish)

    # -- quota --------------------------------------------------------------------------------
    def load_quota(self) -> None:
        space_ids = {s for s in self.org_space.values() if s is not None}
        self.spaces = Space.objects.in_bulk(space_ids)
        used = people_services.accounts_used(space_ids, self.tally)
        self.free = {sid: max(space.learner_quota - used.get(sid, 0), 0) for sid, space in self.spaces.items()}

    def place_names(self) -> list[tuple[str, str]]:
        """(full name, name) of the places the import's unit lies in: its own commune's or province's, and
        those above (("Xã Giao Long", "Giao Long"), ("Tỉnh Vĩnh Long", "Vĩnh Long")), which rows may add to a
        unit's name."""
        units = Organisation.objects.filter(pk__in=self.root_line(), admin_unit__isnull=False)
        return list(units.values_list("admin_unit__full_name", "admin_unit__name"))

    def root_line(self) -> list[int]:
        """The ids of the import's unit and of those above it."""
        return _path_ids(self.root.path)

    def know_elsewhere(self) -> None:
        """For a column of units' names: the platform's other units, each with the places it lies in (its
        name is a sign of it only when it names one of them: QA round 49, another commune's "Phòng Kinh tế"
        or "Ấp 1" refused this commune's own), and the provinces, districts and communes that no longer exist,
        of the import's provinces and of those merged into them (all, for a unit in none), with the units
        that now hold them (RowValidator.know_elsewhere). A few queries, once a run."""
        places = dict(Organisation.objects.filter(admin_unit__isnull=False).values_list("pk", "admin_unit__name"))
        others = [
            (name, [places[pk] for pk in _path_ids(path) if pk in places])
            for path, name in Organisation.objects.exclude(path__startswith=self.root.path)
            .values_list("path", "name")
            .iterator(chunk_size=5000)
        ]
        provinces = Organisation.objects.filter(pk__in=self.root_line(), admin_unit__isnull=False)
        provinces = set(provinces.values_list("admin_unit__province_code", flat=True))
        merged = AdminUnitSuccession.objects.filter(
            predecessor__level=AdminLevel.PROVINCE, successor__code__in=provinces
        )
        provinces |= set(merged.values_list("predecessor__code", flat=True))  # Bến Tre's and Trà Vinh's, in Vĩnh Long
        units = AdminUnit.objects.filter(province_code__in=provinces) if provinces else AdminUnit.objects.all()
        names, current = {}, set()
        for pk, name, valid_to in units.values_list("pk", "full_name", "valid_to").iterator(chunk_size=5000):
            names[pk] = name
            if valid_to is None:
                current.add(pk)
        after: dict[int, list[int]] = {}
        for old, new in AdminUnitSuccession.objects.filter(predecessor__in=units).values_list(
            "predecessor", "successor"
        ):
            after.setdefault(old, []).append(new)

        def now(pk: int, depth: int = 0) -> list[int]:  # through later renames ("Tiên Thủy" → "Tiên Thuỷ", 2026)
            if pk in current or depth > 3:
                return [pk] if pk in current else []
            return [unit for later in after.get(pk, ()) for unit in now(later, depth + 1)]

        gone = units.filter(valid_to__isnull=False).values_list("pk", "full_name", "valid_to")
        merged = [
            (name, [names[unit] for unit in dict.fromkeys(now(pk)) if unit in names], valid_to + timedelta(days=1))
            for pk, name, valid_to in gone.iterator(chunk_size=5000)
        ]
        self.validator.know_elsewhere(others, merged, [names[pk] for pk in current])

    # -- one chunk ----------------------------------------------------------------------------
    def actors_other_units(self) -> dict[int, str]:
        """The units the importer manages outside this import's unit, by id: their names (one query, when a
        row's CCCD is first found outside the import's unit)."""
        if self._actors_other_units is None:
            scope = NOTHING if self.actor is None else scope_q(self.actor, roles=PEOPLE_WRITE_ROLES, path_field="path")
            self._actors_other_units = dict(
                Organisation.objects.filter(scope).exclude(path__startswith=self.root.path).values_list("pk", "name")
            )
        return self._actors_other_units

    def reject(self, row: ParsedRow, name: str | None, message, **params) -> None:
        if "first" in params:  # an earlier row, as the user finds it (maybe on another sheet)
            params["first"] = self.table.row_label(params["first"])
        self.validator.cell_error(row, name, message, **params)

    def plan(self, rows: list[ParsedRow]) -> _Plan:
        with self.timed("match against the database"):
            return self._plan(rows)

    def _plan(self, rows: list[ParsedRow]) -> _Plan:
        plan = _Plan(rows=rows)
        valid = [r for r in rows if r.ok]
        several = self.table is not None and len(self.table.sheets) > 1
        checked = valid
        repeats = self.duplicates_in_file(rows, valid, several=several)
        valid = [r for r in valid if r.ok and r.number not in repeats]
        for r in valid:
            if r.cccd:
                r.cccd_hash = people_services.cccd_hash(r.cccd)
        hashes = any_of(r.cccd_hash for r in valid if r.cccd_hash)
        by_hash = {p.cccd_hash: p for p in Person.objects.filter(cccd_hash__in=hashes).order_by()}
        coded = {r.person_pk for r in valid if r.person_pk is not None}
        by_pk = {p.pk: p for p in by_hash.values() if p.pk in coded}  # most coded rows have their CCCD too
        if missing := coded - by_pk.keys():
            by_pk.update((p.pk, p) for p in Person.objects.filter(pk__in=any_of(missing, "bigint")).order_by())
        # The coded rows' people's names as written (toned_words) → the dates and years of birth of everyone in the
        # import's units who has them (tells_apart): those with a namesake only
        self.namesakes: dict[tuple, list] = {}
        if by_pk:
            named = Person.objects.filter(
                search_text__in={p.search_text for p in by_pk.values()}, organisation__path__startswith=self.root.path
            )
            for name, born, year in named.values_list("full_name", "date_of_birth", "birth_year").order_by():
                self.namesakes.setdefault(tuple(toned_words(name)), []).append((born, born.year if born else year))
            self.namesakes = {name: years for name, years in self.namesakes.items() if len(years) > 1}
        by_name: dict[str, list[Person]] = {}
        wanted = self.namesakes_q(
            [
                r
                for r in valid
                if r.person_pk is None and (not r.cccd_hash or (r.cccd_hash not in by_hash and self.has_namesake(r)))
            ]
        )
        if wanted is not None:
            for p in Person.objects.filter(wanted, organisation__path__startswith=self.root.path):
                by_name.setdefault(p.search_text, []).append(p)

        matched: list[tuple[ParsedRow, Person | None]] = []
        for r in valid:
            person = self.match(r, by_hash, by_name) if r.person_pk is None else self.match_code(r, by_pk, by_hash)
            if person is not False:
                matched.append((r, person))
        repeats.update(self.sheet_repeats)
        self.sheet_repeats.clear()

        ids = [p.pk for _r, p in matched if p is not None]
        groups: dict[int, set[str]] = {}
        with_account: set[int] = set()
        if ids:
            keys = any_of(ids, "bigint")
            for pid, group in PersonTargetGroup.objects.filter(person_id__in=keys).values_list("person_id", "group"):
                groups.setdefault(pid, set()).add(group)
            if self.imp.create_accounts:
                with_account = set(User.objects.filter(person_id__in=keys).values_list("person_id", flat=True))

        now = timezone.now()
        actor_id = self.actor.pk if getattr(self.actor, "is_authenticated", False) else None
        for r, person in matched:
            if person is not None and (self.swapped_birth(r, person) or not self.consistent_cccd(r, person)):
                continue
            org_id = r.organisation_id or (person.organisation_id if person is not None else self.root.pk)
            needs_account = self.imp.create_accounts and (person is None or person.pk not in with_account)
            if needs_account:
                space_id = self.org_space.get(org_id)
                if space_id is not None:
                    if self.free.get(space_id, 0) <= 0:
                        self.refuse_over_quota(r, space_id)
                        continue
                    self.free[space_id] -= 1
                plan.accounts_needed += 1
            if person is None:
                plan.created += 1
                if not self.writing:  # a check writes nothing: no need to build (and encrypt) the person
                    continue
                person = unsaved(
                    Person,
                    {
                        "organisation_id": org_id,
                        "date_of_birth": r.date_of_birth,
                        "birth_year": _year_of(r) or None,
                        "sex": r.sex or "",
                        "phone": r.phone or "",
                        "email": r.email or "",
                        "position": r.position or "",
                        "created_by_id": actor_id,
                        "lawful_basis": rules.lawful_basis_of(r.groups),
                        **people_services.name_fields(r.full_name),
                        **people_services.cccd_fields(r.cccd, r.cccd_hash),
                    },
                )
                plan.creates.append(person)
                if r.groups:
                    plan.groups.append((person, r.groups))
            else:
                changed = self.apply_changes(r, person, org_id)
                group_change = r.groups is not None and set(r.groups) != groups.get(person.pk, set())
                if group_change:
                    plan.regroup_ids.append(person.pk)
                    plan.groups.append((person, r.groups))
                if changed:
                    person.updated_at = now
                    plan.updates.setdefault(frozenset((*changed, "updated_at")), []).append(person)
                if changed or group_change:
                    plan.updated += 1
                    if len(self.updated_rows) <= UPDATED_ROWS_SHOWN:  # one more than shown: "…" follows
                        fields = {_CHANGED_FIELDS.get(attr, "") for attr in changed} | (
                            {"groups"} if group_change else set()
                        )
                        self.updated_rows.append((r.number, [f for f in reading.FIELDS if f in fields]))
                else:
                    plan.unchanged += 1
                    if needs_account:
                        plan.account_only += 1
            if needs_account:
                plan.account_people.append(person)
        self.repeated_rows(plan, checked, repeats)
        return plan

    def duplicates_in_file(self, rows: list[ParsedRow], valid: list[ParsedRow], *, several: bool) -> dict[int, int]:
        """Refuse the rows whose CCCD an earlier row of the file has: the first occurrence wins. A workbook's
        later sheet that repeats a row of an earlier one ("Tổng hợp" after "Ấp 1", "Ấp 2"; QA round 38) is
        not refused here: returned (row number → its CCCD's first row), it shares that row's fate
        (repeated_rows); one that says otherwise is refused, naming the columns, and a copy of a row the row
        check refused is refused as such."""
        repeats: dict[int, int] = {}
        for r in rows:
            if r.ok:
                continue
            if several and (digits := cccd_text(r.cells[_CCCD_CELL])).isdigit() and len(digits) == 12:
                self.refused_cccd.setdefault(int(digits), r.number)
            if r.name_key:
                name = hash(r.name_key)
                self.refused_named[name] = self.refused_named.get(name, ()) + (r.number,)
                self.refused_values[r.number] = _values_of(r)
        if several:
            last = self.table.read_order[-1]
            self.row_values.update((r.number, _values_of(r)) for r in valid if r.number // reading.SHEET_ROWS != last)
        for r in valid:
            if not r.cccd:  # a copy word for word of an earlier row without a CCCD (QA round 57: "the same
                # person as row N", refused every time the file was imported)
                values = _values_of(r)
                seen = self.seen_copies.setdefault(hash(values), _seen(r.number, (values, None)))
                first = abs(seen) & _ROW_BITS
                if first != r.number and abs(seen) == _seen(first, (values, None)):  # two digests agree
                    if seen < 0:
                        self.refuse_copy(r, first)
                    else:
                        repeats[r.number] = first
                continue
            refused = self.refused_cccd.get(int(r.cccd)) if several else None
            if (
                refused
                and refused // reading.SHEET_ROWS != r.number // reading.SHEET_ROWS
                and self.read_before(refused, r)
            ):
                self.reject(r, "cccd", ERR_REPEATS_REFUSED, first=refused)  # QA round 41
                continue
            values = _values_of(r)
            seen = self.seen_cccd.setdefault(int(r.cccd), _seen(r.number, values))
            first = abs(seen) & _ROW_BITS
            if first != r.number:
                earlier = self.row_values.get(first)
                other_sheet = several and first // reading.SHEET_ROWS != r.number // reading.SHEET_ROWS
                copy = abs(seen) == _seen(first, values)  # word for word: unchanged with it (QA round 56)
                if seen < 0 and copy:  # its first row was refused, in an earlier chunk
                    self.refuse_copy(r, first)
                elif seen < 0:
                    self.reject(r, "cccd", ERR_DUPLICATE_CCCD, first=first)
                elif other_sheet and _repeats(values, earlier):
                    repeats[r.number] = first
                elif other_sheet:  # say what differs (QA rounds 39, 41)
                    differs = ", ".join(f"“{self.table.header(f, r.number)}”" for f in _disagreeing(values, earlier))
                    self.reject(r, "cccd", ERR_DUPLICATE_CCCD_DIFFERS, first=first, fields=differs)
                elif copy:
                    repeats[r.number] = first
                else:
                    self.reject(r, "cccd", ERR_DUPLICATE_CCCD, first=first)
        return repeats

    def repeated_rows(self, plan: _Plan, checked: list[ParsedRow], repeats: dict[int, int]) -> None:
        """Rows of a later sheet that repeat their CCCD's first row (_plan) are unchanged if that row was not
        refused (in this chunk, or an earlier one, which forgot its values then), else refused as duplicates
        (QA round 39: the copies of refused people were counted unchanged)."""
        refused = {r.number for r in checked if not r.ok}
        for r in checked:  # a first row refused: its copies in later chunks are too
            if r.number not in refused:
                continue
            self.row_values.pop(r.number, None)
            seen_of, key = self.seen_of(r)
            if (seen := seen_of.get(key, 0)) > 0 and seen & _ROW_BITS == r.number:
                seen_of[key] = -seen
        for r in checked:
            first = repeats.get(r.number)
            if first is None:
                continue
            seen_of, key = self.seen_of(r)
            if first in refused or seen_of[key] < 0:
                self.refuse_copy(r, first)
                continue
            plan.unchanged += 1
            if not r.cccd:  # nothing but the cells to go by: said with the rows (QA round 58: two people alike)
                self.copied_bare += 1
                if len(self.copies_shown) < COPIES_SHOWN:
                    self.copies_shown.append((r.number, first))
            elif first // reading.SHEET_ROWS == r.number // reading.SHEET_ROWS:
                self.copied += 1
            else:
                self.repeated += 1

    def seen_of(self, r: ParsedRow) -> tuple[dict[int, int], int]:
        """Where the row's first occurrence is kept (duplicates_in_file), and its key there."""
        return (self.seen_cccd, int(r.cccd)) if r.cccd else (self.seen_copies, hash(_values_of(r)))

    def refuse_copy(self, r: ParsedRow, first: int) -> None:
        """A row repeating a row that was refused: as that row, for want of learner accounts (QA round 57: the
        copies were told to correct the row), else told to correct it."""
        space_id = self.quota_refused.get(first)
        if space_id is not None:
            self.refuse_over_quota(r, space_id)
        else:
            self.reject(r, "cccd" if r.cccd else "full_name", ERR_REPEATS_REFUSED, first=first)

    def refuse_over_quota(self, r: ParsedRow, space_id: int) -> None:
        space = self.spaces[space_id]
        message = ERR_QUOTA_ROW_ALL if self.imp.mode == ImportMode.ALL_OR_NOTHING else ERR_QUOTA_ROW
        self.reject(r, None, message, space=space.name, quota=grouped(space.learner_quota))
        self.over_quota[space_id] = self.over_quota.get(space_id, 0) + 1
        self.quota_refused[r.number] = space_id

    def match(self, r: ParsedRow, by_hash: dict[str, Person], by_name: dict[str, list[Person]]) -> Person | None | bool:
        """The stored person the row is (None: a new person), or False once rejected; what the run keeps of
        the row kept (remember, and the looking up of a row found by name: loosely_named)."""
        person = by_hash.get(r.cccd_hash) if r.cccd_hash else None
        if person is not None:
            if person.organisation_id not in self.org_space:
                if unit := self.actors_other_units().get(person.organisation_id):  # QA round 32: a sibling unit
                    self.reject(r, "cccd", ERR_CCCD_IN_YOUR_UNIT, holder=person.full_name, unit=unit)
                else:  # nothing said of whom, nor where
                    self.reject(r, "cccd", ERR_CCCD_ELSEWHERE)
                    self.cccd_elsewhere += 1
                return False
            if edit_distance(r.name_key, person.search_text, NAME_EDITS_ALLOWED) > NAME_EDITS_ALLOWED:
                self.reject(r, "cccd", ERR_CCCD_OTHER_NAME, holder=self.renamed.get(person.pk, person.full_name))
                return False
            return self.claim(r, person)
        lookup = _lookup_of(r)
        namesakes = by_name.get(r.name_key, ())
        born = self.born_with(r)
        top, candidates = self.candidates(r, lookup, namesakes, born)
        if not candidates and (
            (r.organisation_id and not r.cccd and self.twin_elsewhere(r, lookup, namesakes, born))
            or self.respelled(r, lookup, namesakes, born)
        ):
            person = False
        else:
            person = self.identify(r, candidates, lookup=lookup)
            if r.number in self.sheet_repeats:  # says nothing but what its person's row did: changes no one
                return False
            if person is None and self.refused_repeat(r):
                person = False
        refused = person is False
        if not refused:
            person = self.claim(r, person)
        # A row found by name is found by name again next time (unless its CCCD, now stored, finds it): what
        # it found is kept, for a later row must not change it (loosely_named). A row written makes its
        # person the best fitting there is: born that day, with its phone and email; a new person is the
        # lookup itself.
        if person is False or not r.cccd:
            if person is None:
                top = _rank(lookup, lookup)
            elif person is not False:
                top = _rank(lookup, self.made_of(r, person) or _Known.of(person, number=0))
            name = hash(r.name_key)
            self.loose[name] = self.loose.get(name, ()) + (lookup._replace(top=top, refused=refused).pack_lookup(),)
        return person

    def match_code(self, r: ParsedRow, by_pk: dict[int, Person], by_hash: dict[str, Person]) -> Person | bool:
        """The person whose code the row has (an exported list's: codes.py), or False once rejected. The code
        finds them whatever else the row changes: another unit, phone, position; a detail they lack; one of
        their name, date of birth, sex and CCCD corrected when what the row keeps of
        them confirms it (code_differs), and for someone with a namesake a change told apart (tells_apart).
        Refused: a code of nobody in the import's units or of an earlier row's person, a CCCD that is another
        person's, and a row that is not surely its code's person (QA rounds 70-77: codes mixed up by a sort
        that left out their column, a row reused or copied for someone else): their details are corrected on
        their page."""
        person = by_pk.get(r.person_pk)
        if person is None or person.organisation_id not in self.org_space:
            self.reject(r, reading.PERSON_CODE, ERR_PERSON_CODE_NOT_YOURS)
            return False
        if person.pk in self.claimed:
            self.reject(
                r,
                reading.PERSON_CODE,
                ERR_PERSON_CODE_TWICE,
                holder=person.full_name,
                first=abs(self.claimed[person.pk]),
            )
            return False
        holder = by_hash.get(r.cccd_hash) if r.cccd_hash else None
        if holder is not None and holder.pk != person.pk:
            if holder.organisation_id in self.org_space:
                self.reject(r, "cccd", ERR_PERSON_CODE_CCCD, holder=holder.full_name, person=person.full_name)
            else:  # nothing said of whom
                self.reject(r, "cccd", ERR_CCCD_ELSEWHERE)
                self.cccd_elsewhere += 1
        elif differs := self.code_differs(r, person):
            fields = ", ".join(f"“{self.table.header(f, r.number)}”" for f in differs)
            self.reject(r, differs[0], ERR_PERSON_CODE_OTHER, holder=person.full_name, fields=fields)
        elif not self.tells_apart(r, person):
            self.reject(r, "full_name", ERR_PERSON_CODE_NAMESAKE, holder=person.full_name)
            return False  # (not a code out of line: its own, maybe)
        else:
            year, born = _year_of(r), person.date_of_birth
            if r.date_of_birth is None and year and born is not None and year != born.year:  # (QA round 70)
                self.reject(
                    r, "date_of_birth", ERR_PERSON_CODE_YEAR, year=year, holder=person.full_name, born=_dmy(born)
                )
                return False
            return self.claim(r, person)
        self.codes_mixed += 1  # a row that is not the code's person: told in the summary (MSG_CODES_MIXED)
        self.codes_mixed_first = self.codes_mixed_first or r.number
        return False

    def tells_apart(self, r: ParsedRow, person: Person) -> bool:
        """Whether a row that changes someone with a namesake in the import's units gives something of theirs as
        stored beside the name, which a namesake's row would not: their CCCD; their year of birth, if no
        namesake was born that year, else their date (QA rounds 76-77: namesakes' rows without dates, their
        codes swapped by a sort, took each other's phones). A row that changes nothing of them is theirs."""
        theirs = self.namesakes.get(tuple(toned_words(person.full_name)))
        if theirs is None or (r.cccd_hash and r.cccd_hash == person.cccd_hash):
            return True
        if not (
            (r.phone and r.phone != person.phone)
            or (r.email and r.email.lower() != person.email.lower())
            or (r.position and r.position != person.position)
            or (r.organisation_id and r.organisation_id != person.organisation_id)
            or (r.sex and r.sex != person.sex)
        ):  # (their groups aside: read later, and a namesake's are of little harm)
            return True
        year, stored = (r.date_of_birth.year if r.date_of_birth else _year_of(r)), person.birth_year_known
        if not year or year != stored:
            return False
        if sum(y == stored for _d, y in theirs) == 1:
            return True
        dated = r.date_of_birth
        return dated is not None and dated == person.date_of_birth and sum(d == dated for d, _y in theirs) == 1

    @staticmethod
    def code_differs(r: ParsedRow, person: Person) -> list[str]:
        """What of a person's identity a row with their code says otherwise, unconfirmed (an empty list: the
        row is them). Two things otherwise (name, date or year of birth, sex, CCCD) are never confirmed; one
        is, by what the row keeps of them as stored (QA rounds 70-75: codes moved by a sort beside namesakes,
        twins or people of one household; a row reused or copied for someone else): a name or a date of birth
        by their CCCD; a sex by their CCCD or their date of birth (not a 1 January, which lists
        write for a year alone); a CCCD by their name and that date."""
        # A name is the same only as written, capitals and where the tone mark sits aside ("Thủy", "Thuỷ"): accents
        # given or left out, a middle name more, a given name completed are changes (QA rounds 73-75: sisters,
        # twins and namesakes of one year with codes swapped took each other's names)
        differs = [] if toned_words(r.full_name) == toned_words(person.full_name) else ["full_name"]
        dated = r.date_of_birth
        year, stored_year = (dated.year if dated else _year_of(r)), person.birth_year_known
        same_date = dated is not None and dated == person.date_of_birth
        if (dated and person.date_of_birth and not same_date) or (year and stored_year and year != stored_year):
            differs.append("date_of_birth")
        if r.sex and person.sex and r.sex != person.sex:
            differs.append("sex")
        same_cccd = bool(r.cccd_hash) and r.cccd_hash == person.cccd_hash
        if r.cccd_hash and person.cccd_hash and not same_cccd:
            differs.append("cccd")
        if len(differs) != 1:
            return differs
        firm_date = same_date and (dated.day, dated.month) != (1, 1)
        confirmed = same_cccd or (differs[0] in ("sex", "cccd") and firm_date)
        return [] if confirmed else differs

    def claim(self, r: ParsedRow, person: Person | None) -> Person | None | bool:
        """The row's person (see match) unless an earlier row is that person, or looked up someone this
        row's person would also be (loosely_named); kept (remember)."""
        if person is not None and person.pk in self.claimed:
            self.reject(r, "full_name", ERR_DUPLICATE_PERSON, first=abs(self.claimed[person.pk]))
            return False
        made = self.made_of(r, person)
        if made is not None and (first := self.loosely_named(r, made, person)):
            self.reject(r, "full_name", ERR_NAME_LEFT_UNCLEAR, first=first)
            return False
        if person is not None:
            self.claimed[person.pk] = r.number if r.cccd else -r.number
        self.remember(r, person, made)
        return person

    def candidates(self, r: ParsedRow, lookup: _Known, namesakes, born: list[_Known]) -> tuple[int, list[_Known]]:
        """The people a row without a known CCCD may be, and how well they fit it (_fitting).

        The row is compared with the unit's namesakes in the database (`namesakes`, by folded name; those
        an earlier row of the file matched unchanged are that row's, `self.claimed`) and with the people
        the earlier rows of the file make or change (`self.born`: written or not, as a check writes nothing;
        their stored values, `self.changed`, are not looked at), by the same rules (`_fitting`): a file
        gives the same result whichever chunk a row falls in, and the same again when it is imported a
        second time."""
        namesakes = [
            p
            for p in namesakes
            if p.pk not in self.changed and (not r.organisation_id or p.organisation_id == r.organisation_id)
        ]
        if not born and not namesakes:  # most rows: no namesake at all
            return -1, []
        known = [_Known.of(p, number=self.claimed.get(p.pk, 0)) for p in namesakes]
        return _fitting(lookup, known + born)

    def identify(self, r: ParsedRow, candidates: list[_Known], *, lookup: _Known | None = None) -> Person | None | bool:
        """The stored person a row without a known CCCD is among its best fitting `candidates` (None: a new
        person), or False once rejected. `lookup`: the row's (_lookup_of), to see what of it is theirs."""
        if not candidates:
            return None
        first = candidates[0]
        if len(candidates) > 1 and not (r.cccd and all(k.coded for k in candidates)):
            if not r.organisation_id and len(units := {k.organisation_id for k in candidates}) > 1:
                self.reject(r, "full_name", ERR_AMBIGUOUS_UNITS, units=self.units_named(units))
            else:
                self.reject(r, "full_name", _ambiguity(r, candidates))
            return False
        if (
            lookup is not None
            and not r.organisation_id
            and first.person
            and first.organisation_id != self.root.pk
            and not _corroborates(lookup, first)
        ):  # QA rounds 33-35: a row of a name alone (an accountant's, with a phone, or a CCCD they lack)
            # updated a namesake pupil or teacher of a unit below the import's
            self.reject(
                r,
                "full_name",
                ERR_NAMESAKE_BELOW,
                holder=first.person.full_name,
                unit=self.org_unit_names.get(first.organisation_id, ""),
                code=self.org_codes.get(first.organisation_id, ""),
                own=self.root.code,
            )
            # The refusal rests on what the namesake has (_corroborates), not on how well they fit: a later
            # row that changes them at all is refused (loosely_named; a year it gave them made this row theirs
            # on a second import, found by the identity property test).
            name = hash(r.name_key)
            self.loose[name] = self.loose.get(name, ()) + (lookup._replace(top=-1, refused=True).pack_lookup(),)
            return False
        if r.cccd and first.coded:  # the same number was matched by its hash: this is another one
            if first.number:
                self.reject(r, "cccd", ERR_NAMESAKE_CCCD_IN_FILE, first=abs(first.number))
            else:
                unit = self.org_unit_names.get(first.organisation_id, "")
                self.reject(r, "cccd", ERR_NAMESAKE_CCCD, holder=first.person.full_name, unit=unit)
            return False
        if first.number:  # a person an earlier row of the file makes or is
            if self.sheet_repeat(r, first):
                return False
            if r.date_of_birth is not None and first.date_of_birth == r.date_of_birth:
                message = ERR_DUPLICATE_PERSON
            else:
                message = ERR_MAYBE_SAME_PERSON
            self.reject(r, "full_name", message, first=abs(first.number))
            return False
        return first.person

    def sheet_repeat(self, r: ParsedRow, known: _Known) -> bool:
        """Whether the row, found by name to be the person of an earlier sheet's row (`known`), is dealt with
        as that row's repeat (sheet_repeats; QA round 58: a summary sheet of fewer columns without the CCCD,
        refused as "the same person"): it says nothing but what that row says, a unit it left out being its
        person's (QA round 61: the commune's code in the summary). A repeat of a row refused is refused as a
        copy of it (refuse_copy); a row that says more or otherwise, naming the columns (QA round 61: "the same
        person" said nothing of why), a CCCD among them (`known` has none: see identify)."""
        first = abs(known.number)
        if not self.row_values or first // reading.SHEET_ROWS == r.number // reading.SHEET_ROWS:
            return False
        earlier = self.row_values.get(first)
        if earlier is None:  # refused, in an earlier chunk
            self.refuse_copy(r, first)
            return True
        if earlier[_ORG_VALUE] is None:
            earlier = (*earlier[:_ORG_VALUE], known.organisation_id, *earlier[_ORG_VALUE + 1 :])
        values = _values_of(r)
        if not r.cccd and _repeats(values, earlier):
            self.sheet_repeats[r.number] = first
        else:
            fields = (["cccd"] if r.cccd else []) + _disagreeing(values, earlier)
            differs = ", ".join(f"“{self.table.header(f, r.number)}”" for f in fields)
            self.reject(r, "full_name", ERR_SAME_PERSON_DIFFERS, first=first, fields=differs)
        return True

    def refused_repeat(self, r: ParsedRow) -> bool:
        """Whether a row without a CCCD that would make a new person says nothing but what a row read before it,
        which the row check refused, says (a value it wrote wrong is not said): refused with it (QA round 61: a
        summary row whose hamlet row was refused made a person of its few columns, with an account; round 62:
        and its error workbook imported again, the two rows on one sheet, did too). A row that says more (the
        right phone, a date of birth, a position: round 63) is a person of its own."""
        if r.cccd or not self.refused_named:
            return False
        values = _values_of(r)
        for first in self.refused_named.get(hash(r.name_key), ()):
            if self.read_before(first, r) and _repeats(values, self.refused_values[first]):
                self.refuse_copy(r, first)
                return True
        return False

    def read_before(self, number: int, r: ParsedRow) -> bool:
        """Whether row `number` was read before the row `r` (a workbook's sheets are read in table.read_order)."""
        order = self.table.read_order
        sheet, other = number // reading.SHEET_ROWS, r.number // reading.SHEET_ROWS
        return number < r.number if sheet == other else order.index(sheet) < order.index(other)

    def twin_elsewhere(self, r: ParsedRow, lookup: _Known, namesakes, born: list[_Known]) -> bool:
        """Whether a row with a unit code and no CCCD, whom no one of that unit fits, is refused as most likely
        a namesake of another unit of the import who shares its date of birth, phone or email (stored:
        `namesakes` but those the run changes; or as earlier rows of the file make them: self.born), the
        way candidates looks. A refused row's lookup of any unit is kept (loosely_named): a later row that
        changes that namesake is refused, so a second import refuses this row again."""
        anywhere = lookup._replace(organisation_id=0)
        known = [_Known.of(p, number=self.claimed.get(p.pk, 0)) for p in namesakes if p.pk not in self.changed]
        fits = [
            (_rank(anywhere, k), k)
            for k in known + born
            if k.organisation_id != r.organisation_id and _shares_detail(lookup, k)
        ]
        top = max((rank for rank, _k in fits), default=-1)
        if top < 0:
            return False
        first = min((k for rank, k in fits if rank == top), key=lambda k: (k.organisation_id, abs(k.number)))
        code = self.org_codes.get(first.organisation_id, "")
        theirs = (first.date_of_birth, first.phone, first.email)
        mine = (lookup.date_of_birth, lookup.phone, lookup.email)
        shared = ", ".join(str(t) for t, a, b in zip(SHARED_DETAILS, mine, theirs, strict=True) if a and a == b)
        if first.person is not None and not first.number:
            unit = self.org_unit_names.get(first.organisation_id, "")
            holder = first.person.full_name
            self.reject(r, "full_name", ERR_NAMESAKE_ELSEWHERE, holder=holder, unit=unit, code=code, shared=shared)
        else:
            self.reject(
                r, "full_name", ERR_NAMESAKE_ELSEWHERE_IN_FILE, first=abs(first.number), code=code, shared=shared
            )
        name = hash(r.name_key)
        self.loose[name] = self.loose.get(name, ()) + (anywhere._replace(top=top, refused=True).pack_lookup(),)
        return True

    def respelled(self, r: ParsedRow, lookup: _Known, namesakes, born: list[_Known]) -> bool:
        """Whether a row whom no one fits is refused as most likely someone of the import whose name it writes
        with other accents: born the same day, with the same phone or email, in any unit of the import (stored:
        `namesakes` but those the run changes; or as earlier rows of the file make them: self.born); for a row
        with a CCCD no one has, someone without one (QA round 43: a second person, with the number). Its
        lookup is kept as one of that name in any unit (loosely_named): a later row that changes them is
        refused, so a second import refuses this row again."""
        if not lookup.date_of_birth or not (lookup.phone or lookup.email):
            return False
        if not namesakes and not born:  # most rows: no one of the name
            return False
        known = [_Known.of(p, number=self.claimed.get(p.pk, 0)) for p in namesakes if p.pk not in self.changed]
        alike = [
            k
            for k in known + born
            if k.date_of_birth == lookup.date_of_birth
            and not (lookup.coded and k.coded)
            and not same_name_signature(lookup.name, k.name)
            and ((lookup.phone and lookup.phone == k.phone) or (lookup.email and lookup.email == k.email))
        ]
        if not alike:
            return False
        first = min(alike, key=lambda k: abs(k.number))
        if first.person is not None and not first.number:
            unit = self.org_unit_names.get(first.organisation_id, "")
            message = ERR_RESPELLED_CODED if lookup.coded else ERR_RESPELLED
            self.reject(r, "full_name", message, holder=first.person.full_name, unit=unit)
        else:
            message = ERR_RESPELLED_CODED_IN_FILE if lookup.coded else ERR_RESPELLED_IN_FILE
            self.reject(r, "full_name", message, first=abs(first.number))
        theirs = lookup._replace(name=first.name, organisation_id=0)
        name = hash(r.name_key)
        self.loose[name] = self.loose.get(name, ()) + (
            theirs._replace(top=_rank(theirs, first), refused=True).pack_lookup(),
        )
        return True

    def units_named(self, org_ids) -> str:
        """Units as “name” (code), in the tree's order, for a message: at most three, then “…”."""
        named = [f"“{name}” ({self.org_codes[pk]})" for pk, name in self.org_unit_names.items() if pk in org_ids]
        return ", ".join(named[:3]) + (", …" if len(named) > 3 else "")

    def born_with(self, r: ParsedRow) -> list[_Known]:
        """The people of self.born with the row's folded name that _fitting may keep: born the row's day or
        on an unknown day; any day (of the CCCD's year) for a row without one. Looked up by name and day, as
        a common name has thousands in a large file."""
        if r.date_of_birth:
            days = (r.date_of_birth, None)
        else:
            known = memoryview(self.born_days.get(hash(r.name_key), b"")).cast("i")
            days = {date.fromordinal(d + _DAY0) if d else None for d in known}
            if year := _year_of(r):
                days = [d for d in days if d is None or d.year == year]
        found = []
        for day in days:
            key = hash((r.name_key, day))
            entry = self.born.get(key)
            if entry is not None:
                found.append(_Known.unpack(entry))
                found += [_Known.unpack(v) for v in self.born_more.get(key, ())]
        return found

    def made_of(self, r: ParsedRow, person: Person | None) -> _Known | None:
        """The person as the row leaves them: a new one, or a stored one whose name, birth date, unit, phone or
        email the row changes (None: a stored person it leaves as they are)."""
        number = r.number if r.cccd else -r.number
        if person is None:
            signature = r.signature or name_signature(r.full_name)
            org = r.organisation_id or self.root.pk
            year = _year_of(r)
            return _Known(org, r.date_of_birth, bool(r.cccd), _h32(r.phone), _h32(r.email), signature, number, year)
        name = merged_name(r.full_name, person.full_name)
        born = r.date_of_birth or person.date_of_birth
        year = _birth_year_after(r, person) or 0
        org = r.organisation_id or person.organisation_id
        phone, email = r.phone or person.phone, r.email or person.email
        coded = bool(r.cccd or person.cccd_hash)
        stored = (person.full_name, person.date_of_birth, person.year_alone or 0, person.organisation_id, person.phone)
        if (name, born, year, org, phone, email, coded) == (*stored, person.email, bool(person.cccd_hash)):
            return None
        return _Known(org, born, coded, _h32(phone), _h32(email), name_signature(name), number, year)

    def loosely_named(self, r: ParsedRow, made: _Known, person: Person | None) -> int:
        """The earlier row (its number; 0: none) found by name (see match) whom this row would make another
        person the next time the file is imported, by what it makes of its person (`made`, from `person` as
        stored, None for a new one): the row is refused. An earlier row that found its person (written, or
        refused though it found them) is changed by anyone who fits it as well (_rank) before or after; one
        refused for the people it found (several, or not its own), only by someone fitting it better than
        they did, or by one of them fitting it less well: a person with a CCCD, for a row with one, leaves it
        refused still (its number is another's)."""
        # The lookups of the name it gets, and of the name it had: a rename takes the person from them.
        renamed = person is not None and person.search_text != r.name_key
        here = self.loose.get(hash(r.name_key), ())
        there = self.loose.get(hash(person.search_text), ()) if renamed else ()
        if not here and not there:
            return 0
        before = _Known.of(person, number=0) if person is not None else None
        looks = [(c, None if renamed else before, made) for c in here] + [(c, before, None) for c in there]
        for packed, old, new in looks:
            c = _Known.unpack_lookup(packed)
            was, becomes = _rank(c, old), _rank(c, new)
            if c.refused:
                changed = (becomes > c.top and not (c.coded and new.coded)) or (was == c.top > becomes)
            else:
                changed = max(was, becomes) >= max(c.top, 0)
            if changed:
                return abs(c.number)
        return 0

    def remember(self, r: ParsedRow, person: Person | None, made: _Known | None) -> None:
        """Keep, packed, what this row makes of a person (`made`; see candidates): the database shows it only
        once the chunk is written, and a check writes nothing."""
        if made is None:
            return
        if person is not None:
            self.changed[person.pk] = None
            if (name := merged_name(r.full_name, person.full_name)) != person.full_name:
                self.renamed[person.pk] = name
        packed = made.pack()
        born = made.date_of_birth
        key = hash((r.name_key, born))
        if key not in self.born:
            self.born[key] = packed
            name, day = hash(r.name_key), (born.toordinal() - _DAY0 if born else 0).to_bytes(4, sys.byteorder)
            self.born_days[name] = self.born_days.get(name, b"") + day
        else:
            self.born_more[key] = self.born_more.get(key, ()) + (packed,)

    def has_namesake(self, r: ParsedRow) -> bool:
        """Whether someone of the row's unit (of the import's, for a row without a unit code) may be the
        person of this row with a CCCD no one has (see _fitting): only such a row needs the namesake search
        (the costly query, as the name has no index). The keys of a unit's people are read once a run, when
        a row of that unit first asks, so a province's import holds those of the units its file names."""
        birth = r.date_of_birth or _year_of(r)
        keys = self.namesake_keys(r.organisation_id)
        if hash((r.name_key, birth)) in keys or hash((r.name_key, None)) in keys:
            return True
        # respelled looks in every unit of the import: found by this row itself, not only when another row
        # of its chunk asked for the name (a property test: a second import's outcome depended on the chunks)
        return bool(r.organisation_id and r.date_of_birth and (r.phone or r.email)) and (
            hash((r.name_key, r.date_of_birth)) in self.namesake_keys(None)
        )

    def namesake_keys(self, org_id: int | None) -> set[int]:
        """Hashes of (folded name, birth date / its year / None) of a unit's people (None: the import's whole
        tree), read once a run."""
        keys = self.known_namesakes.get(org_id)
        if keys is None:
            people = Person.objects.all()
            if org_id:
                people = people.filter(organisation_id=org_id)
            else:
                people = people.filter(organisation__path__startswith=self.root.path)
            keys = self.known_namesakes[org_id] = set()
            for name, born in people.values_list("search_text", "date_of_birth").order_by().iterator(chunk_size=20_000):
                if born:
                    keys.add(hash((name, born)))
                    keys.add(hash((name, born.year)))
                else:
                    keys.add(hash((name, None)))
        return keys

    @staticmethod
    def namesakes_q(rows: list[ParsedRow]) -> Q | None:
        """The people a row without a known CCCD may be (a superset: `_fitting` narrows it per row)."""
        q = Q()
        undated = {r.name_key for r in rows if r.date_of_birth is None}
        if undated:
            q |= Q(search_text__in=undated)
        dated = [r for r in rows if r.date_of_birth is not None]
        if dated:
            names = {r.name_key for r in dated}
            q |= Q(search_text__in=names, date_of_birth__in={r.date_of_birth for r in dated})
            q |= Q(search_text__in=names, date_of_birth__isnull=True)
        return q or None

    def swapped_birth(self, r: ParsedRow, person: Person) -> bool:
        """Whether the row's birth date is a date cell that is the person's stored one with the day and month
        swapped, in a file whose text dates are day first: refused, as the work of a spreadsheet set to month
        first that opened the list (QA round 38: a CSV export, opened and saved again, changed them)."""
        born, stored = r.date_of_birth, person.date_of_birth
        if (
            born is None
            or stored is None
            or born == stored
            or (self.validator.order != DAY_FIRST and "source_row" not in self.table.columns)  # (or our error
            or not isinstance(r.cells[_BIRTH_CELL], date)  # workbook, which kept the cell: QA round 39)
            or (born.year, born.month, born.day) != (stored.year, stored.day, stored.month)
        ):
            return False
        self.reject(r, "date_of_birth", ERR_BIRTH_SWAPPED, value=f"{born:%d/%m/%Y}", stored=f"{stored:%d/%m/%Y}")
        return True

    def consistent_cccd(self, r: ParsedRow, person: Person) -> bool:
        """The CCCD must agree with the birth date and sex the person will have after the update."""
        birth = r.date_of_birth or person.date_of_birth
        sex = r.sex or person.sex or None
        if r.cccd:
            cccd, name = r.cccd, "cccd"
        elif person.cccd_encrypted and (
            (r.date_of_birth and r.date_of_birth != person.date_of_birth) or (r.sex and r.sex != person.sex)
        ):
            cccd, name = crypto.decrypt(person.cccd_encrypted), "date_of_birth" if r.date_of_birth else "sex"
        else:
            return True
        try:
            rules.clean_cccd(cccd, birth_date=birth, sex=sex)
        except rules.RuleError as exc:
            self.reject(r, name, exc.message)
            return False
        return True

    @staticmethod
    def apply_changes(r: ParsedRow, person: Person, org_id: int) -> list[str]:
        changes: dict = {}
        # A list typed without accents, or in capitals ("Nguyen Van AN"), keeps the stored name's words.
        name = merged_name(r.full_name, person.full_name)
        if name != person.full_name:
            changes.update(people_services.name_fields(name))
        for attr in ("date_of_birth", "sex", "phone", "email", "position"):
            value = getattr(r, attr)
            if value is not None and value != getattr(person, attr):
                changes[attr] = value
        if (year := _birth_year_after(r, person)) != person.year_alone:
            changes["birth_year"] = year
        if org_id != person.organisation_id:
            changes["organisation_id"] = org_id
        if r.cccd and r.cccd_hash != person.cccd_hash:
            changes.update(people_services.cccd_fields(r.cccd))
        for attr, value in changes.items():
            setattr(person, attr, value)
        return ["organisation" if k == "organisation_id" else k for k in changes]

    def write(self, plan: _Plan) -> list[tuple[User, str]]:
        with self.timed("write people and groups"):
            self._write_people(plan)
        if plan.account_people:
            with self.timed("create accounts"):
                return people_services.accounts_create(
                    actor=self.actor, people=plan.account_people, tally=self.tally, none_have_one=True
                )
        return []

    def _write_people(self, plan: _Plan) -> None:
        if plan.creates:
            bulk_insert(Person, plan.creates)
            # Later chunks find these people in the database: as the rows' own, like the people they matched.
            self.changed.update(dict.fromkeys(person.pk for person in plan.creates))
        for fields, people in plan.updates.items():
            Person.objects.bulk_update(people, sorted(fields), batch_size=500)
        if plan.regroup_ids:
            PersonTargetGroup.objects.filter(person_id__in=plan.regroup_ids).delete()
        if plan.groups:
            insert_rows(
                PersonTargetGroup,
                ["person_id", "group"],
                [(person.pk, g) for person, groups in plan.groups for g in groups],
            )

    def parse(self, chunk: list[tuple[int, list]]) -> list[ParsedRow]:
        # The file's order of day and month: from the first rows that tell it; rows that say otherwise later
        # have their ambiguous dates refused (QA rounds 28-30).
        order, suspect = date_order(cells[_BIRTH_CELL] for _number, cells in chunk)
        if not self.date_order or not self.date_order[0]:
            self.date_order = (order, suspect)
        elif order != self.date_order[0]:
            order = BOTH_ORDERS if order else self.date_order[0]
            suspect = suspect or self.date_order[1]
        self.validator.order, self.validator.date_cells_suspect = order, suspect
        rows = [self.validator.parse(number, cells) for number, cells in chunk]
        if errors := self.table.cell_errors:  # what the reader saw wrong in the columns it joined
            for row in rows:
                if (error := errors.pop(row.number, None)) is not None:
                    name, message, values = error
                    row.errors = [e for e in row.errors if e[0] != name]  # it says more of that cell ("87")
                    self.validator.cell_error(row, name, message, **values)
        extras = self.table.extras
        if extras:  # the values of the file's other columns, for the error workbook
            codes = self.table.person_code_places()
            for row in rows:
                row.extras = extras.pop(row.number, ())
                if codes:
                    self.read_code(row, codes)
        return rows

    def read_code(self, row: ParsedRow, places: list[int]) -> None:
        """The person a code in the row names (codes.py). A value not written as a code is not read; one
        written as a code but none of this installation's refuses the row."""
        width = len(row.extras)
        for i in places:
            if i < width and isinstance(text := row.extras[i], str) and (pk := person_pk_of(text)) is not None:
                if pk is False:
                    self.reject(row, reading.PERSON_CODE, ERR_PERSON_CODE, code=text.strip()[:40])
                else:
                    row.person_pk = pk
                return

    def count(self, plan: _Plan, *, written: bool) -> None:
        rejected = sum(1 for r in plan.rows if not r.ok)
        self.read += len(plan.rows)
        self.rejected += rejected
        self.valid += len(plan.rows) - rejected
        self.created += plan.created
        self.updated += plan.updated
        self.unchanged += plan.unchanged
        if written:
            self.written += plan.created + plan.updated + plan.account_only
            self.accounts += len(plan.account_people)
        else:  # a check: the accounts the rows would get
            self.accounts += plan.accounts_needed

    def record(self, plan: _Plan, accounts: list[tuple[User, str]]) -> None:
        for r in plan.rows:
            if not r.ok:
                if self.errors is None:
                    table = self.table
                    self.errors = workbooks.ErrorWorkbook(
                        headers=[table.reusable_header(name) for name in reading.FIELDS],
                        extra_headers=[title for _index, title in table.extra_columns],
                        source_rows=table.source_rows,
                        row_label=table.row_label,
                        organisations=[(self.org_codes[pk], name) for pk, name in self.org_unit_names.items()],
                        named_rows=table.unit_named_rows,
                        named_column=table.headers.get("org_name", ""),
                        units_named=self.validator.named_units if self.validator.decided else None,
                    )
                self.errors.day_first = self.validator.order in (DAY_FIRST, "")
                self.errors.add(r)
        if accounts:
            codes = self.org_codes
            part = [  # `for p in (u.person,)`: through the descriptor once a row (0.3 µs each time)
                (
                    p.full_name,
                    codes.get(p.organisation_id, ""),
                    u.username,
                    code,
                    _born(p),
                )
                for u, code in accounts
                for p in (u.person,)
            ]
            part.sort(key=self.unit_rank)  # unit by unit, in the file's order within one (_store_files)
            self.uncommitted_parts.append(part)  # saved by commit(): codes of accounts that exist, no others

    def unit_rank(self, row: Sequence) -> int:
        """An activation part's row's place in the sheet: its unit's in the tree (org_unit_names' order)."""
        if self.unit_ranks is None:
            self.unit_ranks = {self.org_codes[pk]: rank for rank, pk in enumerate(self.org_unit_names)}
        return self.unit_ranks.get(row[1], len(self.unit_ranks))


def _enqueue_activation(import_id: int, actor_id: int | None) -> None:
    from .tasks import activation_files_task

    activation_files_task.enqueue(import_id, actor_id)


def _enqueue_statistics() -> None:
    from .tasks import statistics_task

    statistics_task.enqueue()


def statistics_refresh() -> None:
    """PostgreSQL: the full planner statistics of the tables an import fills, after an import sampled them
    (_Runner.maybe_analyze). Not left to autovacuum, which a server may run late or not at all."""
    if connection.vendor == "postgresql":
        _Runner.analyze()


def _enqueue_pdf(import_id: int) -> None:
    from .tasks import activation_pdf_task

    # Below imports in the queue: 40,000 QR cards take about a minute, a waiting import should not.
    if activation_pdf_task.get_backend().supports_priority:
        activation_pdf_task = activation_pdf_task.using(priority=PDF_TASK_PRIORITY)
    activation_pdf_task.enqueue(import_id)


def store_workbook(field_file, name: str, book) -> None:
    """Save a workbook (anything with .save(fileobj)) into an import's file field, without saving the row."""
    with tempfile.TemporaryFile() as tmp:
        book.save(tmp)
        tmp.seek(0)
        field_file.save(name, File(tmp, name=name), save=False)


def activation_workbook(imp: PersonImport) -> workbooks.ActivationWorkbook:
    """An empty activation sheet for this import, its title and how-to line (with the site's address) as of now."""
    expires = f"{activation_expiry(imp):%d/%m/%Y}"
    note = MSG_ACTIVATION_NOTE % {"address": workbooks.activation_address(), "date": expires}
    return workbooks.ActivationWorkbook(title=activation_title(imp), note=str(note))


def activation_codes_for_list(*, actor, filters, cards: bool = False) -> tuple[str, bytes, int]:
    """New activation codes for the people of a filtered list whose account is not activated (the filter
    "Account", not activated yet or code expired), as an activation sheet, or with `cards` as the PDF cards
    to cut out (file name, bytes, how many accounts): a commune's admin gets its own people's codes, which a
    province's import handed to the province (QA round 48). The codes handed out before stop working. At
    most NEW_CODES_MAX at a time (the cards of 5,000 people take about 2.5 s)."""
    if filters.account not in (AccountState.WAITING, AccountState.EXPIRED):
        raise ValidationError(ERR_NEW_CODES_FILTER)
    chosen = {"q": filters.q, "organisation": filters.organisation_id, "account": filters.account}
    people = person_list(actor=actor, filters=filters, write=True)
    usernames = list(people.values_list("account__username", flat=True)[: NEW_CODES_MAX + 1])
    if len(usernames) > NEW_CODES_MAX:
        raise ValidationError(ERR_NEW_CODES_TOO_MANY % {"n": grouped(people.count()), "most": grouped(NEW_CODES_MAX)})
    with transaction.atomic():
        people_services.lock_people_writes()  # requests at the same moment take turns (QA round 52)
        refuse_codes_just_given(set(usernames))
        renewed = people_services.activation_codes_renew(actor=actor, usernames=usernames)
        if not renewed:
            raise ValidationError(ERR_NEW_CODES_NONE)
        activation_files_outdated(renewed)
        audit_record(
            actor=actor,
            action="people.activation_codes_renewed",
            object_type="people.user",
            accounts=len(renewed),
            filters=chosen,
            usernames=[user.username for user, _code in renewed][:NEW_CODES_MAX],
            cards=cards,
        )
    unit = primary_organisation(actor)
    today = timezone.localdate()
    title = str(MSG_NEW_CODES_TITLE % {"unit": unit.name if unit else actor.username, "date": f"{today:%d/%m/%Y}"})
    expires = timezone.localdate(people_services.activation_expiry_time())
    rows = _activation_rows(renewed)
    stamp = f"{timezone.localtime():%Y%m%d-%H%M%S}"  # one file a request: a second the same day is not "(1)"
    out = io.BytesIO()
    if cards:
        workbooks.activation_pdf(rows, out, title=title, expires=expires)
        return f"the-kich-hoat-moi-{stamp}.pdf", out.getvalue(), len(rows)
    note = MSG_ACTIVATION_NOTE % {"address": workbooks.activation_address(), "date": f"{expires:%d/%m/%Y}"}
    sheet = workbooks.ActivationWorkbook(title=title, note=str(note))
    for row in rows:
        sheet.add(**row)
    sheet.save(out)
    return f"ma-kich-hoat-moi-{stamp}.xlsx", out.getvalue(), len(rows)


def activation_files_outdated(renewed: Sequence[tuple[User, str]]) -> int:
    """Note on the imports whose activation sheet lists some of these accounts, just given newer codes
    elsewhere (the people list's new codes, a person's page), that their codes there no longer work: the
    import's page says so and offers to make the files again, which leaves them out (a province's sheet
    still handed out the codes its communes had replaced). Only imports whose codes may still work are
    read: made or given new codes within ACTIVATION_DAYS, of a unit above or of those people. Returns how
    many imports were noted."""
    usernames = {user.username for user, _code in renewed}
    if not usernames:
        return 0
    above = {pk for user, _code in renewed for pk in _path_ids(user.person.organisation.path)}
    since = timezone.now() - timedelta(days=people_services.ACTIVATION_DAYS + 1)
    imports = (
        PersonImport.objects.filter(organisation_id__in=above, accounts_created__gt=0)
        .filter(Q(started_at__gte=since) | Q(codes_renewed_at__gte=since))
        .exclude(activation_sheet="")
        .only("pk", "activation_sheet")
    )  # (each import's own queries below: only those of these units within ACTIVATION_DAYS, a handful)
    now, noted = timezone.now(), 0
    for imp in imports:
        if not usernames.intersection(_import_accounts(imp)):  # its kept list, not its sheet: a text file
            continue
        with imp.activation_sheet.open("rb") as sheet:
            pairs = [(row["username"], row["code"]) for row in workbooks.read_activation_rows(sheet)]
        if any(username in usernames for username, _code in pairs):  # counted afresh: a person once (QA round 53)
            replaced = people_services.activation_codes_replaced(pairs)
            PersonImport.objects.filter(pk=imp.pk).update(codes_replaced=replaced, codes_replaced_at=now)
            noted += 1
    return noted


def refuse_codes_just_given(usernames: set[str], *, besides: PersonImport | None = None) -> None:
    """Refuse new codes for people some of whom were given new codes less than NEW_CODES_AGAIN_AFTER ago, by
    anyone, from a list or by an import's "give new codes" (but `besides`, the import asking now, whose page
    offers its newest sheet): a second click, a second tab, or another admin would make the codes just
    handed out stop working (QA rounds 50, 52, 53: the filters compared before let the same people through
    under another search, and an import's renewal went round the check both ways)."""
    since = timezone.now() - NEW_CODES_AGAIN_AFTER
    given = [
        (entry.at, entry.actor)
        for entry in AuditLog.objects.filter(action="people.activation_codes_renewed", at__gte=since).select_related(
            "actor"
        )
        if usernames.intersection(entry.details.get("usernames", ()))
    ]
    others = PersonImport.objects.exclude(pk=besides.pk if besides else None).exclude(activation_sheet="")
    for imp in others.filter(activation_job=ActivationJob.RENEW):  # asked for, waiting for the worker (QA 54)
        if not activation_job_is_stale(imp) and usernames.intersection(_import_accounts(imp)):
            asked = timezone.localtime(imp.updated_at)  # (not the import's name: it may be another unit's)
            raise ValidationError(ERR_NEW_CODES_BEING_MADE % {"time": f"{asked:%H:%M}"})
    for imp in others.filter(codes_renewed_at__gte=since):
        if usernames.intersection(_import_accounts(imp)):
            entry = AuditLog.objects.filter(action="people.import.renew_activation", object_id=str(imp.pk))
            last = entry.select_related("actor").order_by("-at").first()
            given.append((imp.codes_renewed_at, last.actor if last else None))
    if given:
        at, actor = max(given, key=lambda pair: pair[0])
        who = (actor.get_full_name() or actor.username) if actor else ""
        at = timezone.localtime(at)
        raise ValidationError(ERR_NEW_CODES_JUST_GIVEN % {"time": f"{at:%H:%M}", "date": f"{at:%d/%m/%Y}", "who": who})


def activation_title(imp: PersonImport) -> str:
    return str(
        MSG_ACTIVATION_TITLE
        % {"unit": imp.organisation.name, "date": timezone.localtime(imp.created_at).strftime("%d/%m/%Y")}
    )


def activation_expiry(imp: PersonImport):
    """The last day of an import's codes: ACTIVATION_DAYS after its run started, or after they were given
    anew (the codes work to the end of that day: people.services.activation_expiry_time)."""
    start = imp.codes_renewed_at or imp.started_at or imp.created_at
    return timezone.localdate(start) + timedelta(days=people_services.ACTIVATION_DAYS)


def activation_pdf_build(*, import_id: int) -> PersonImport | None:
    """The PDF activation sheet (one card and QR code per person), made from the stored Excel sheet.
    A separate task: drawing 40,000 QR codes takes longer than the import itself. Safe to run twice."""
    imp = PersonImport.objects.filter(pk=import_id).first()
    if imp is None or not imp.activation_sheet or imp.activation_pdf:
        return imp
    with (
        translation.override(imp.language or settings.LANGUAGE_CODE),
        imp.activation_sheet.open("rb") as sheet,
        tempfile.TemporaryFile() as tmp,
    ):
        workbooks.activation_pdf(
            workbooks.read_activation_rows(sheet), tmp, title=activation_title(imp), expires=activation_expiry(imp)
        )
        tmp.seek(0)
        imp.activation_pdf.save(f"kich-hoat-{imp.pk}.pdf", File(tmp, name="kich-hoat.pdf"), save=False)
    PersonImport.objects.filter(pk=imp.pk).update(activation_pdf=imp.activation_pdf.name)
    return imp
