"""Writes about people and their accounts. One transaction per use case; callers pass `actor=`."""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache, wraps

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kynangso.core import crypto
from kynangso.core.services import audit_record
from kynangso.core.text import fold, grouped, name_case, name_sort_key, nfc, split_name
from kynangso.core.xlsx import EXCEL_MAX_ROWS
from kynangso.orgs.choices import PEOPLE_WRITE_ROLES, Role
from kynangso.orgs.models import Organisation, Space
from kynangso.orgs.selectors import scope_q

from . import rules
from .choices import DataRequestKind, DataRequestStatus, TargetGroup
from .imports.bulk import any_of, bulk_insert, unsaved, upsert_rows
from .models import ERR_CCCD_TAKEN, ApiToken, DataRequest, Person, PersonTargetGroup, User, UsernameSequence
from .permissions import can_change_person, can_export_people

ERR_CODE_NOT_FOR_STAFF = _(
    "This account holds a role on the platform (an administrator's, an author's…): its owner changes the "
    "password themselves, or the system administrator does."
)
ERR_ACCOUNT_DISABLED = _("This account is disabled: enable it first (system administrator), then give a code.")
ERR_EXPORT_TOO_LARGE = _(
    "%(people)s people match: more than an Excel sheet holds (%(most)s rows). Choose a unit or another filter, "
    "then export again."
)
ERR_QUOTA = _("The space “%(space)s” has %(free)s learner accounts left; %(needed)s were requested.")
ERR_ACTIVATION_TRIES = _(
    "Too many wrong activation codes for this username: wait %(minutes)s minutes, then type the code again, "
    "carefully (it has 10 letters and digits, without spaces)."
)
ERR_ACTIVATION = _(
    "The username or the activation code is wrong, or the code has expired. A code works once: if you have "
    "already chosen your password, log in with it. If the code has expired or the card is lost, ask the unit "
    "that gave it to you (your commune or ward, school or agency) for a new code."
)
ERR_NAME_REQUIRED = _("The full name is required.")
ERR_STORED_CCCD = _("This does not agree with the stored CCCD number: %(problem)s")
ERR_UNKNOWN_GROUP = _("Unknown target group.")

ACTIVATION_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ACTIVATION_DAYS = 90

DERIVED_FIELDS = {"search_text", "sort_key", "birth_year"}  # follow the name and the date: not audited apart
EDITABLE_FIELDS = (
    "full_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "organisation",
    "position",
    "lawful_basis",
)


# --- derived fields shared by single writes and the bulk importer ----------------------------------


def name_fields(full_name: str) -> dict[str, str]:
    name = name_case(nfc(full_name))
    return {"full_name": name, "search_text": fold(name)[:255], "sort_key": name_sort_key(name)}


def cccd_fields(cccd: str, hashed: str | None = None) -> dict:
    """`hashed`: cccd_hash(cccd), when the caller has it already."""
    if not cccd:
        return {"cccd_encrypted": None, "cccd_hash": None, "cccd_masked": ""}
    return {
        "cccd_encrypted": crypto.encrypt(cccd),
        "cccd_hash": hashed or crypto.keyed_hash(cccd),
        "cccd_masked": rules.mask_cccd(cccd),
    }


def cccd_hash(cccd: str) -> str:
    return crypto.keyed_hash(cccd)


def clean_person_values(values: dict) -> dict:
    """Apply the rules to a dict of raw person values; raise ValidationError keyed by field."""
    errors: dict[str, list] = {}
    out = dict(values)
    if "full_name" in values:
        out["full_name"] = nfc(values["full_name"] or "")
        if not out["full_name"]:
            errors["full_name"] = [ERR_NAME_REQUIRED]
        else:
            try:
                rules.check_name(out["full_name"])
            except rules.RuleError as exc:
                errors["full_name"] = [exc.message]
    try:
        if values.get("date_of_birth"):
            out["date_of_birth"] = rules.clean_birth_date(values["date_of_birth"])
    except rules.RuleError as exc:
        errors["date_of_birth"] = [exc.message]
    if values.get("phone"):
        try:
            out["phone"] = rules.clean_phone(values["phone"])
        except rules.RuleError as exc:
            errors["phone"] = [exc.message]
    if values.get("cccd"):
        try:
            out["cccd"] = rules.clean_cccd(
                values["cccd"], birth_date=out.get("date_of_birth") or None, sex=values.get("sex") or None
            )
        except rules.RuleError as exc:
            errors["cccd"] = [exc.message]
    groups = values.get("target_groups")
    if groups is not None:
        unknown = [g for g in groups if g not in TargetGroup.values]
        if unknown:
            errors["target_groups"] = [ERR_UNKNOWN_GROUP]
    if errors:
        raise ValidationError(errors)
    return out


def _set_groups(person: Person, groups: Iterable[str]) -> None:
    wanted = set(groups)
    have = set(person.target_groups.values_list("group", flat=True))
    if wanted == have:
        return
    person.target_groups.filter(group__in=have - wanted).delete()
    PersonTargetGroup.objects.bulk_create([PersonTargetGroup(person=person, group=g) for g in sorted(wanted - have)])


def _save_person(person: Person, **save_options) -> None:
    """Save a person that full_clean() has checked. Another transaction may take the same CCCD between the
    check and the save (an import, another admin): that is the same error full_clean() gives, not a
    server error."""
    try:
        with transaction.atomic():
            person.save(**save_options)
    except IntegrityError:
        if person.cccd_hash and Person.objects.filter(cccd_hash=person.cccd_hash).exclude(pk=person.pk).exists():
            raise ValidationError({"cccd_hash": ERR_CCCD_TAKEN}) from None
        raise


def _cccd_refusals_audited(service):
    """A CCCD refused as another person's is reported under the `cccd` field and written to the audit log
    (`person.cccd_elsewhere`, after the refused transaction): trying numbers one by one through the forms
    or the API shows there, as it does in imports (`cccd_elsewhere` in `people.import.run`)."""

    @wraps(service)
    def audited(*, actor, **kwargs):
        try:
            return service(actor=actor, **kwargs)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict") or "cccd_hash" not in exc.error_dict:
                raise
            audit_record(actor=actor, action="person.cccd_elsewhere", object_type="people.person")
            errors = dict(exc.error_dict)
            errors["cccd"] = errors.pop("cccd_hash")
            raise ValidationError(errors) from None

    return audited


@_cccd_refusals_audited
@transaction.atomic
def person_create(
    *,
    actor,
    full_name: str,
    organisation: Organisation,
    date_of_birth: date | None = None,
    sex: str = "",
    cccd: str = "",
    phone: str = "",
    email: str = "",
    position: str = "",
    target_groups: Sequence[str] = (),
    lawful_basis: str = "",
    consent: bool = False,
) -> Person:
    values = clean_person_values(
        {
            "full_name": full_name,
            "date_of_birth": date_of_birth,
            "sex": sex,
            "cccd": cccd,
            "phone": phone,
            "target_groups": list(target_groups),
        }
    )
    person = Person(
        organisation=organisation,
        date_of_birth=values["date_of_birth"],
        birth_year=rules.birth_year_alone(values["date_of_birth"], values.get("cccd")) or None,
        sex=sex,
        phone=values.get("phone", ""),
        email=(email or "").strip().lower(),
        position=nfc(position or ""),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **name_fields(values["full_name"]),
        **cccd_fields(values.get("cccd", "")),
    )
    if lawful_basis:
        person.lawful_basis = lawful_basis
    if consent:
        person.consent_at = timezone.now()
    person.full_clean(exclude=["cccd_encrypted", "created_by"])
    _save_person(person)
    _set_groups(person, values["target_groups"])
    audit_record(actor=actor, action="person.create", obj=person)
    return person


@_cccd_refusals_audited
@transaction.atomic
def person_update(
    *, actor, person: Person, cccd: str | None = None, target_groups: Sequence[str] | None = None, **changes
) -> Person:
    """Change the given fields only. `cccd=""` removes the number; `cccd=None` leaves it."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"person_update: not editable: {sorted(unknown)}")
    raw = {k: v for k, v in changes.items() if k != "organisation"}
    raw.setdefault("date_of_birth", changes.get("date_of_birth", person.date_of_birth))
    raw.setdefault("sex", person.sex)
    # A new date of birth or sex must agree with the CCCD number kept (cccd=None).
    moved = [key for key in ("date_of_birth", "sex") if changes.get(key, getattr(person, key)) != getattr(person, key)]
    if cccd:
        raw["cccd"] = cccd
    elif cccd is None and person.cccd_encrypted and moved:
        raw["cccd"] = crypto.decrypt(person.cccd_encrypted)
    if target_groups is not None:
        raw["target_groups"] = list(target_groups)
    try:
        values = clean_person_values(raw)
    except ValidationError as exc:
        if cccd is None and "cccd" in exc.error_dict:  # the stored number: the new date or sex is what is wrong
            problems = [ERR_STORED_CCCD % {"problem": m} for e in exc.error_dict.pop("cccd") for m in e.messages]
            exc.error_dict[moved[0]] = [ValidationError(m) for m in problems]
        raise
    fields: dict = {}
    for key in changes:
        fields[key] = values.get(key, changes[key]) if key != "organisation" else changes[key]
    if "full_name" in fields:
        fields.update(name_fields(fields["full_name"]))
    if "email" in fields:
        fields["email"] = (fields["email"] or "").strip().lower()
    born = fields.get("date_of_birth", person.date_of_birth)
    fields["birth_year"] = rules.birth_year_alone(born, values.get("cccd"), None if cccd else person.birth_year) or None
    if cccd is not None:
        fields.update(cccd_fields(values.get("cccd", "")))
    changed = [k for k, v in fields.items() if getattr(person, k) != v]
    for key in changed:
        setattr(person, key, fields[key])
    if changed:
        person.full_clean(exclude=["cccd_encrypted", "created_by"])
        _save_person(person, update_fields=[*changed, "updated_at"])
    if target_groups is not None:
        _set_groups(person, values["target_groups"])
    audit_record(
        actor=actor,
        action="person.update",
        obj=person,
        fields=sorted({"cccd" if k.startswith("cccd") else k for k in changed} - DERIVED_FIELDS),
    )
    return person


def person_cccd_reveal(*, actor, person: Person) -> str:
    """The clear CCCD, for an authorised reader; every call is written to the audit log."""
    if not person.cccd_encrypted:
        return ""
    audit_record(actor=actor, action="person.cccd_reveal", obj=person)
    return crypto.decrypt(person.cccd_encrypted)


@transaction.atomic
def person_erase(*, actor, person: Person) -> None:
    """Delete a person's data (a granted deletion request or an admin's decision); the account goes too."""
    DataRequest.objects.filter(person=person, status=DataRequestStatus.OPEN).update(
        status=DataRequestStatus.DONE, handled_by=actor, handled_at=timezone.now()
    )
    User.objects.filter(person=person).delete()
    audit_record(actor=actor, action="person.erase", obj=person)
    person.delete()


def data_request_create(*, person: Person, kind: str, message: str = "") -> DataRequest:
    if kind not in DataRequestKind.values:
        raise ValidationError({"kind": ERR_UNKNOWN_GROUP})
    return DataRequest.objects.create(person=person, person_name=person.full_name, kind=kind, message=message.strip())


# --- accounts -----------------------------------------------------------------------------------


def username_base(full_name: str) -> str:
    """'Nguyễn Văn An' → 'annv': the given name, then the initials of the family and middle names."""
    return _username_base(*split_name(full_name))


# Names a learner's account must not take: they read as the platform's or its administrators' ("Admin").
RESERVED_USERNAMES = frozenset(
    [
        "admin",
        "administrator",
        "root",
        "quantri",
        "quantrivien",
        "hotro",
        "support",
        "system",
        "hethong",
        "superuser",
        "staff",
        "webmaster",
        "postmaster",
        "security",
        "noreply",
        "kynangso",
    ]
)


def _username_base(family: str, given: str) -> str:
    # NFKC first, as the login form's username field applies it to what is typed ("ǅan" → "Džan"):
    # a username it would change could never log in.
    family, given = unicodedata.normalize("NFKC", family), unicodedata.normalize("NFKC", given)
    base = unicodedata.normalize("NFKC", _alnum(fold(given)) + _initials(family) or "user")[:30]
    return f"hv{base}"[:30] if base in RESERVED_USERNAMES else base  # "hv": học viên


@lru_cache(maxsize=1 << 16)  # an import's names share their given names and family names
def _alnum(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


@lru_cache(maxsize=1 << 16)
def _initials(family: str) -> str:
    return _alnum("".join(w[0] for w in fold(family).split()))


def _last_seq(bases: set[str]) -> dict[str, int]:
    """The last number given to each username base: one UsernameSequence row per base."""
    seq: dict[str, int] = {}
    ordered = sorted(bases)
    for start in range(0, len(ordered), 5000):
        batch = any_of(ordered[start : start + 5000])
        seq.update(UsernameSequence.objects.filter(base__in=batch).values_list("base", "last"))
    return seq


def _taken_usernames(names: list[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(names), 5000):
        batch = any_of(names[start : start + 5000])
        taken.update(User.objects.filter(username__in=batch).values_list("username", flat=True))
    return taken


def _number_usernames(users: list[User], seq: dict[str, int]) -> None:
    """Give each new account the next free number of its base: "annv", then "annv2", "annv3"… A name can
    be taken outside the sequence (an account made by hand, such as "admin" or "annv"): those are skipped,
    one query per round, usually none."""
    pending = users
    while pending:
        for user in pending:
            n = seq.get(user.username_base, 0) + 1
            seq[user.username_base] = n
            user.username_seq = n
            user.username = user.username_base if n == 1 else f"{user.username_base}{n}"
        taken = _taken_usernames([u.username for u in pending])
        pending = [u for u in pending if u.username in taken]


@dataclass
class AccountTally:
    """The learner accounts counted in each space and the highest account id when they were counted.

    A bulk import calls accounts_create once a chunk; with a tally, each later call under the space lock
    counts only the accounts made since (ids above `up_to_id`) instead of all of the space's accounts again,
    which made the quota check O(accounts) a chunk. Accounts removed meanwhile are still counted: the
    error, if any, is on the safe side, and the next import counts afresh."""

    used: dict[int, int] = field(default_factory=dict)
    up_to_id: int = 0


def accounts_used(space_ids: Iterable[int], tally: AccountTally | None = None) -> dict[int, int]:
    """How many learner accounts each space has (accounts of people of its organisations)."""
    space_ids = set(space_ids)
    if not space_ids:
        return {}
    if tally is not None and space_ids <= tally.used.keys():
        # Only the accounts made since the tally, usually none (its own are added by accounts_create):
        # walked from the primary key, not from the space's organisations and people.
        since, tally.up_to_id = tally.up_to_id, max(tally.up_to_id, _last_account_id())
        new = User.objects.filter(pk__gt=since, pk__lte=tally.up_to_id)
        for space_id in new.values_list("person__organisation__space", flat=True).iterator():
            if space_id in tally.used:
                tally.used[space_id] += 1
        return {sid: tally.used[sid] for sid in space_ids}
    up_to_id = _last_account_id()  # read before counting: an account made in between is counted twice, never missed
    used = dict.fromkeys(space_ids, 0)
    used.update(
        User.objects.filter(person__organisation__space__in=space_ids)
        .values("person__organisation__space")
        .annotate(n=Count("id"))
        .values_list("person__organisation__space", "n")
    )
    if tally is not None:
        tally.used, tally.up_to_id = dict(used), up_to_id
    return used


def _last_account_id() -> int:
    return User.objects.aggregate(m=Max("id"))["m"] or 0


def space_free_accounts(space: Space) -> int:
    return max(space.learner_quota - accounts_used([space.pk])[space.pk], 0)


# Bulk writes of people and accounts, one transaction at a time. Usernames and CCCD numbers are unique
# across all spaces: two transactions that read the same UsernameSequence row would both give out
# "annv4", and two imports of the same person would both insert their CCCD; in each case the second
# fails at the first one's commit. SQLite serialises writers already (IMMEDIATE transactions); on
# PostgreSQL this advisory lock does, held until the transaction ends. Callers take it first in their
# transaction (the importer before matching a chunk, accounts_create before the space rows), so every
# writer locks in the same order.
PEOPLE_WRITES_LOCK = 0x4B4E_5341_4343  # "KNSACC"


def lock_people_writes() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PEOPLE_WRITES_LOCK])


def activation_expiry_time(now=None):
    """When a code given now expires: the end of the day ACTIVATION_DAYS later (local time), the day that
    the sheets and cards print as the last one."""
    last_day = timezone.localdate(now) + timedelta(days=ACTIVATION_DAYS)
    return timezone.make_aware(datetime.combine(last_day, time.max))


def _may_get_a_code(actor) -> Q:
    """Accounts that an actor may give an activation code to: active, of a person in the actor's units (all,
    for the system: actor None), holding no role beyond a learner's: a code for an administrator's or an
    author's account would let whoever gives it log in as them."""
    scope = Q() if actor is None else scope_q(actor, roles=PEOPLE_WRITE_ROLES, path_field="person__organisation__path")
    powers = [role for role in Role if role != Role.LEARNER]
    return scope & Q(is_active=True, is_staff=False, is_superuser=False) & ~Q(grants__role__in=powers)


def account_code_refusal(user: User) -> str:
    """Why no activation code may be given to this account from a person's page ("" if it may)."""
    if not user.is_active:
        return str(ERR_ACCOUNT_DISABLED)
    if not User.objects.filter(_may_get_a_code(None), pk=user.pk).exists():
        return str(ERR_CODE_NOT_FOR_STAFF)
    return ""


def activation_code_cancel(user: User) -> None:
    """An account given a role keeps no pending activation code (orgs.services.role_grant): its owner, who has
    not activated it, gets a password from the system administrator instead."""
    User.objects.filter(pk=user.pk).exclude(activation_code_hash="").update(
        activation_code_hash="", activation_expires_at=None
    )


def new_activation_code() -> str:
    # 32 symbols: a random byte modulo 32 is uniform (256 = 8 × 32); one urandom call per code.
    return "".join(ACTIVATION_ALPHABET[b % 32] for b in secrets.token_bytes(10))


def accounts_create(
    *, actor, people: Sequence[Person], tally: AccountTally | None = None, none_have_one: bool = False
) -> list[tuple[User, str]]:
    """Create learner accounts for people who have none, within each space's quota.

    Set-based: one query for existing namesakes, one bulk insert. No password hash per row: each
    account gets a one-time activation code (stored as a keyed hash) and an unusable password.
    Raises ValidationError naming the space when the quota would be exceeded; nothing is created then,
    and the caller's transaction, if any, stays usable.
    `none_have_one`: the caller has read, in this transaction after lock_people_writes(), that none of
    `people` has an account (the importer does while matching); they are not looked up again. Were one
    wrong, the unique person of the accounts table would refuse the insert, and nothing is created.

    It writes in the caller's transaction, or in one of its own, without a savepoint: on SQLite a
    savepoint makes every page changed after it be copied to a sub-journal first (bench/README.md). So
    the quota refusal is raised after the block, which has written nothing then."""
    with transaction.atomic(savepoint=False):
        refusal, created = _accounts_create(actor=actor, people=people, tally=tally, none_have_one=none_have_one)
    if refusal is not None:
        raise refusal
    return created


def _accounts_create(
    *, actor, people: Sequence[Person], tally: AccountTally | None, none_have_one: bool
) -> tuple[ValidationError | None, list[tuple[User, str]]]:
    lock_people_writes()
    if none_have_one:
        todo = list(people)
    else:
        have = _people_with_accounts([p.pk for p in people])
        todo = [p for p in people if p.pk not in have]
    if not todo:
        return None, []
    org_space = dict(
        Organisation.objects.filter(pk__in={p.organisation_id for p in todo}).values_list("pk", "space_id")
    )
    needed: dict[int | None, int] = {}
    for person in todo:
        space_id = org_space[person.organisation_id]
        needed[space_id] = needed.get(space_id, 0) + 1
    spaces = Space.objects.select_for_update().in_bulk([sid for sid in needed if sid is not None])
    used = accounts_used(spaces, tally)
    for space_id, count in needed.items():
        space = spaces.get(space_id)
        if space is None:
            continue
        free = max(space.learner_quota - used.get(space_id, 0), 0)
        if count > free:
            params = {"space": space.name, "free": free, "needed": count}
            return ValidationError(ERR_QUOTA, params=params), []
    names = [split_name(p.full_name) for p in todo]
    bases = [_username_base(family, given) for family, given in names]
    seq = _last_seq(set(bases))
    unusable = make_password(None)
    now = timezone.now()  # one time for all: each distinct time costs a conversion when written (7.6 µs)
    expires = activation_expiry_time(now)
    users, codes = [], []
    cache_person = User._meta.get_field("person").set_cached_value  # user.person without a query, no cycle
    for person, (family, given), base in zip(todo, names, bases, strict=True):
        code = new_activation_code()
        codes.append(code)
        user = unsaved(
            User,
            {
                "username_base": base,
                "first_name": given,
                "last_name": family,
                "email": person.email,
                "person_id": person.pk,
                "password": unusable,
                "activation_code_hash": crypto.keyed_hash(code, "activation"),
                "activation_expires_at": expires,
                "date_joined": now,
            },
        )
        cache_person(user, person)
        users.append(user)
    _number_usernames(users, seq)
    # bulk_insert (COPY on PostgreSQL) instead of bulk_create's per-value preparation: 40,000
    # accounts in about 1 s instead of 5 (bench/README.md).
    bulk_insert(User, users)
    upsert_rows(UsernameSequence, "base", ["base", "last"], [(b, seq[b]) for b in sorted(set(bases))])
    if tally is not None:
        for space_id, count in needed.items():
            if space_id in tally.used:
                tally.used[space_id] += count
        tally.up_to_id = max(tally.up_to_id, max(u.pk for u in users))
    audit_record(actor=actor, action="accounts.create", object_type="people.user", count=len(users))
    return None, list(zip(users, codes, strict=True))


@transaction.atomic
def account_code_issue(*, actor, person: Person) -> tuple[User, str]:
    """A new one-time activation code for the person's learner account, for a lost card, an expired code or
    a forgotten password; the account is made now (within the space's quota) if the person has none. The
    old code stops working; a password already chosen works until the person chooses a new one with the
    code. Accounts that hold a role (an admin's, an author's) are refused: a code would let whoever issues
    it log in as them."""
    if actor is not None and not can_change_person(actor, person):
        raise PermissionDenied
    user = User.objects.select_for_update().filter(person=person).first()
    if user is None:
        [(user, code)] = accounts_create(actor=actor, people=[person])
        created = True
    else:
        refusal = account_code_refusal(user)
        if refusal:
            raise ValidationError(refusal)
        code, created = new_activation_code(), False
        user.activation_code_hash = crypto.keyed_hash(code, "activation")
        user.activation_expires_at = activation_expiry_time()
        user.failed_logins, user.locked_until = 0, None
        user.save(update_fields=["activation_code_hash", "activation_expires_at", "failed_logins", "locked_until"])
    attempts_forget([user.username], kinds=("activate", "login"))  # "login": the account may be new
    audit_record(actor=actor, action="people.account.code_issue", obj=person, username=user.username, created=created)
    return user, code


def _people_with_accounts(person_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(person_ids), 5000):
        found.update(
            User.objects.filter(person_id__in=any_of(person_ids[start : start + 5000], "bigint")).values_list(
                "person_id", flat=True
            )
        )
    return found


def _activation_code_valid(user: User | None, code: str) -> bool:
    return bool(
        user is not None
        and user.is_active
        and user.activation_code_hash
        and user.activation_expires_at is not None
        and user.activation_expires_at >= timezone.now()
        and secrets.compare_digest(user.activation_code_hash, crypto.keyed_hash(_typed_code(code), "activation"))
    )


def _typed_code(code: str) -> str:
    """The code as issued: copied from a card with spaces, dashes or dots ("Y5LS MQ6L 9L", "y5ls–mq6l"), or in
    small letters. The codes' letters and digits are ASCII; anything else typed around them is dropped."""
    return "".join(ch for ch in code if ch.isascii() and ch.isalnum()).upper()


def activation_codes_usable(*, actor, pairs: Sequence[tuple[str, str]]) -> set[str]:
    """Of (username, code) pairs, as an activation sheet lists them, the usernames whose code still opens
    the account (not used yet, not replaced by a newer code, not expired) and that the actor may give a code
    to (`_may_get_a_code`: not someone since moved out of the actor's units). A query per 5,000."""
    usable: set[str] = set()
    now = timezone.now()
    for start in range(0, len(pairs), 5000):
        batch = dict(pairs[start : start + 5000])
        accounts = User.objects.filter(
            _may_get_a_code(actor), username__in=any_of(batch), activation_expires_at__gte=now
        ).exclude(activation_code_hash="")
        for username, code_hash in accounts.values_list("username", "activation_code_hash"):
            if secrets.compare_digest(code_hash, crypto.keyed_hash(_typed_code(batch[username]), "activation")):
                usable.add(username)
    return usable


def activation_codes_replaced(pairs: Sequence[tuple[str, str]]) -> int:
    """Of (username, code) pairs, as an activation sheet lists them, how many accounts not activated yet have
    another code now (a newer one given since: their code on the sheet no longer opens them). A query per
    5,000."""
    replaced = 0
    for start in range(0, len(pairs), 5000):
        batch = dict(pairs[start : start + 5000])
        accounts = User.objects.filter(username__in=any_of(batch)).exclude(activation_code_hash="")
        for username, code_hash in accounts.values_list("username", "activation_code_hash"):
            code = crypto.keyed_hash(_typed_code(batch[username]), "activation")
            replaced += not secrets.compare_digest(code_hash, code)
    return replaced


def activation_codes_renew(*, actor, usernames: Sequence[str]) -> list[tuple[User, str]]:
    """New one-time codes, valid until activation_expiry_time(), for those of these accounts that were never
    activated (no password chosen) and that the actor may give a code to (`_may_get_a_code`); returns
    (account with its person and unit, code) in the order of `usernames`. The old codes stop working.
    Set-based: a query per 5,000 accounts, one prepared UPDATE stepped per account."""
    renewed: list[tuple[User, str]] = []
    rows = []
    expires = activation_expiry_time()
    with transaction.atomic(savepoint=False):
        for start in range(0, len(usernames), 5000):
            batch = usernames[start : start + 5000]
            accounts = User.objects.filter(
                _may_get_a_code(actor), username__in=any_of(batch), password__startswith=UNUSABLE_PASSWORD_PREFIX
            ).select_related("person__organisation")
            found = {user.username: user for user in accounts}
            for username in batch:
                user = found.get(username)
                if user is not None and user.person is not None:
                    code = new_activation_code()
                    renewed.append((user, code))
                    rows.append((crypto.keyed_hash(code, "activation"), user.pk))
        table = connection.ops.quote_name(User._meta.db_table)
        expires_value = User._meta.get_field("activation_expires_at").get_db_prep_value(expires, connection)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET activation_code_hash = %s, activation_expires_at = %s, "  # noqa: S608 (the model's table)
                "failed_logins = 0, locked_until = NULL WHERE id = %s",
                [(code_hash, expires_value, pk) for code_hash, pk in rows],
            )
    attempts_forget([user.username for user, _code in renewed])
    audit_record(actor=actor, action="accounts.codes_renew", object_type="people.user", count=len(renewed))
    for user, _code in renewed:
        user.activation_expires_at = expires
    return renewed


def people_export(*, actor, filters) -> tuple[str, Iterator[bytes]]:
    """The file's name, and the people of the actor's units that match `filters` (selectors.PersonFilters)
    in the import template's layout (export → edit → import), as the bytes of an .xlsx written while they
    are read (exports.people_stream). Audited with the filters and the number of people (whose CCCD numbers
    the file gives in full)."""
    from .exports import people_stream
    from .imports.selectors import importable_organisations
    from .selectors import person_list

    if not can_export_people(actor):
        raise PermissionDenied
    people = person_list(actor=actor, filters=filters, write=True)
    count = people.count()
    if count >= EXCEL_MAX_ROWS:  # the header takes a row: Excel would leave out the last ones
        raise ValidationError(ERR_EXPORT_TOO_LARGE % {"people": grouped(count), "most": grouped(EXCEL_MAX_ROWS - 1)})
    audit_record(
        actor=actor,
        action="people.export",
        object_type="people.person",
        filters={
            "q": filters.q,
            "organisation": filters.organisation_id,
            "target_group": filters.target_group,
            "working_age": filters.working_age,
            "account": filters.account,
        },
        people=count,
    )
    units = importable_organisations(actor=actor).values_list("code", "name")
    return f"danh-sach-{timezone.localdate():%Y%m%d}.xlsx", people_stream(people, organisations=units)


def username_as_stored(typed: str) -> str:
    """The username a person typed, as an account has it: the platform's usernames are in small letters,
    and phones capitalise the first letter ("Hungnv"). An account whose name has capitals keeps them."""
    typed = typed.strip()
    found = set(User.objects.filter(username__in={typed, typed.lower()}).values_list("username", flat=True))
    return typed if typed in found or typed.lower() not in found else typed.lower()


def is_activation_code(*, username: str, code: str) -> bool:
    """Whether `code` is the pending activation code of the account `username`: a new learner typing the
    code from their card as a password on the login page."""
    return _activation_code_valid(User.objects.filter(username=username.strip().lower()).first(), code)


@transaction.atomic  # the account's row stays locked until its code is spent: a double submit uses it once
def account_activate(*, username: str, code: str, password: str, address: str = "") -> User:
    """First login of a bulk-created account: the one-time code sets the owner's password. It also lifts
    a lock left by wrong passwords (the code proves the owner, as a right password would). `address` is
    the client's (core.http.client_address): wrong codes sent from one address do not lock the others."""
    username = username.strip().lower()
    if attempts_exhausted("activate", username, settings.ACTIVATION_MAX_FAILURES, address=address):
        raise ValidationError(ERR_ACTIVATION_TRIES % {"minutes": settings.LOGIN_LOCK_MINUTES})
    user = User.objects.select_for_update().filter(username=username).first()
    if not _activation_code_valid(user, code):
        attempt_failed("activate", username, address=address)
        raise ValidationError(ERR_ACTIVATION)
    from django.contrib.auth.password_validation import validate_password

    validate_password(password, user)
    user.set_password(password)
    user.activation_code_hash = ""
    user.activation_expires_at = None
    user.failed_logins = 0
    user.locked_until = None
    user.save(
        update_fields=["password", "activation_code_hash", "activation_expires_at", "failed_logins", "locked_until"]
    )
    return user


# --- login lockout -----------------------------------------------------------------------------

ANY_ADDRESS = "*"
ADDRESSES_BEFORE_LOCK = 10  # a username takes this many times the limit of one address, from all of them


def attempt_failed(kind: str, username: str, address: str = "") -> None:
    """Count a failed login or activation ("login", "activate") for a username, known or not, from one
    client address and from all; the counts last LOGIN_LOCK_MINUTES from the latest failure. Tries are
    not counted once the limit is reached, so the lock ends LOGIN_LOCK_MINUTES after the failure that
    reached it, as an account's does: both answer alike whether the username exists (no list of
    usernames to be had by trying), and codes cannot be guessed at speed. Logins pass no address (an
    account's lock is its own, in the database); activations do, so that someone who knows a username
    cannot lock its owner out by typing wrong codes from elsewhere. Not `cache.incr`: it writes the count
    again with the cache's default timeout (5 minutes), which would shorten the lock."""
    key = f"attempts:{kind}:{fold(username)}"
    counts = cache.get(key)
    counts = counts if isinstance(counts, dict) else {}
    counts[address] = counts.get(address, 0) + 1
    if address:
        counts[ANY_ADDRESS] = counts.get(ANY_ADDRESS, 0) + 1
    cache.set(key, counts, timeout=settings.LOGIN_LOCK_MINUTES * 60)


def attempts_exhausted(kind: str, username: str, limit: int, address: str = "") -> bool:
    counts = cache.get(f"attempts:{kind}:{fold(username)}")
    if not isinstance(counts, dict):
        return False
    return counts.get(address, 0) >= limit or counts.get(ANY_ADDRESS, 0) >= limit * ADDRESSES_BEFORE_LOCK


def attempts_forget(usernames: Sequence[str], kinds: Sequence[str] = ("activate",)) -> None:
    """A new code, given by an admin, starts the accounts' counts again (as it lifts their login locks)."""
    cache.delete_many([f"attempts:{kind}:{fold(name)}" for name in usernames for kind in kinds])


def login_failure_record(*, username: str) -> None:
    """One more wrong password; the limit locks the account. Counted in the database (F()), not read and
    written back: wrong passwords sent at once would otherwise overwrite each other's count."""
    accounts = User.objects.filter(username=username)
    if not accounts.update(failed_logins=F("failed_logins") + 1):  # no account: counted all the same (LoginForm)
        attempt_failed("login", username)
        return
    accounts.filter(failed_logins__gte=settings.LOGIN_MAX_FAILURES).update(
        locked_until=timezone.now() + timedelta(minutes=settings.LOGIN_LOCK_MINUTES), failed_logins=0
    )


def login_success_record(*, user: User) -> None:
    if user.failed_logins or user.locked_until:
        user.failed_logins = 0
        user.locked_until = None
        user.save(update_fields=["failed_logins", "locked_until"])


def is_locked(username: str) -> bool:
    return User.objects.filter(username=username, locked_until__gt=timezone.now()).exists()


# --- API tokens -------------------------------------------------------------------------------


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the token row and the clear token, which is shown once and never stored."""
    clear = "kns_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, key_hash=crypto.keyed_hash(clear, "api"), prefix=clear[:8])
    return token, clear
