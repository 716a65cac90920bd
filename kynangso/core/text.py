"""Vietnamese text helpers: accent folding for search, a sort key for Vietnamese alphabetical order, counts.

Search and sort are computed in Python and stored in plain columns (`search_text`, `sort_key`), so
SQLite and PostgreSQL answer the same way without database extensions or collations.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from functools import lru_cache

from django.utils.formats import number_format

# Control characters that are not white space (NUL, BEL…, and the C1 controls of a file read in the wrong
# code page): PostgreSQL refuses NUL in text, and none is ever meant in a name or a position. Each is read as
# a space, as tabs and line breaks are: "Chuyên\x00viên" is "Chuyên viên", two words kept apart, not one word
# made up. Invisible characters pasted from web pages and Word (zero-width space, soft hyphen, byte-order
# mark, joiners) are dropped: no one can see them to remove them, and Vietnamese has no use for them.
_CONTROLS = {
    **dict.fromkeys([*range(0x00, 0x09), 0x0E, 0x0F, *range(0x10, 0x1C), *range(0x7F, 0xA0)], " "),
    **dict.fromkeys([0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF]),
}


def nfc(value: str) -> str:
    """NFC-normalise and collapse white space (Excel files mix NFC and NFD Vietnamese), control characters
    read as white space. str.split() splits at the same white space as the regular expression `\\s+`, faster (a call
    per cell)."""
    value = unicodedata.normalize("NFC", value)
    if not value.isprintable():  # rare: a tab, a line break, a control character
        value = value.translate(_CONTROLS)
    return " ".join(value.split())


def name_case(name: str) -> str:
    """A name in the usual case, each word capitalised: words typed all in capitals or all in small letters,
    as lists often are, are changed ("NGUYỄN VĂN AN", "trần văn BÌNH" → "Nguyễn Văn An", "Trần Văn Bình";
    "H'HEN NIÊ" → "H'Hen Niê"); a word already in mixed case ("H'Hen", "McLean") is kept as typed."""
    if name.istitle():  # the usual case already: most names
        return name
    return " ".join(word.title() if word.isupper() or word.islower() else word for word in name.split(" "))


def merged_name(typed: str, stored: str) -> str:
    """The name to keep when a list names a known person: a word typed without its accents, or all in
    capitals or small letters, as lists are typed ("Nguyen Van AN" for "Nguyễn Văn Ân"), keeps the stored
    word; any other difference (a corrected accent, another word, a case set on purpose: "H'Hen" for
    "H'hen") is the typed one's."""
    typed_words, stored_words = typed.split(), stored.split()
    if len(typed_words) != len(stored_words):
        return typed
    return " ".join(
        s
        if (t.isupper() or t.islower() if t.lower() == s.lower() else t.isascii() and _fold_word(t) == _fold_word(s))
        else t
        for t, s in zip(typed_words, stored_words, strict=True)
    )


_SIGNED_WORDS = 8  # words of a name a signature tells apart (later words are not compared)
_WORD_BITS = 32


def name_signature(name: str) -> int:
    """An int that tells names of the same folded spelling apart the way merged_name compares words:
    "Lê Thị Hà" and "Lê Thị Hạ" differ, "Le Thi Ha" is either (a word typed without accents matches any
    accented one), case never counts, nor where the tone mark sits ("Hòa" and "Hoà", "Thủy" and "Thuỷ":
    the old and the new style). Each accented word adds a CRC-32: the same in every process, and two
    different words of one folded spelling share it once in four billion (same_name_signature)."""
    signature = 0
    for i, word in enumerate(name.lower().split()[:_SIGNED_WORDS]):
        if not word.isascii():
            signature |= 1 << i | _word_signature(word) << (_SIGNED_WORDS + i * _WORD_BITS)
    return signature


_TONE_MARKS = {"\u0300": "1", "\u0301": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5"}  # huyền … nặng


@lru_cache(maxsize=1 << 16)
def _word_signature(word: str) -> int:
    return zlib.crc32(_toned_word(word).encode())


def toned_words(name: str) -> list[str]:
    """A name's words in small letters, accents kept and where the tone mark sits not ("Thủy", "Thuỷ"): names
    are the same name when these are equal."""
    return [_toned_word(word) for word in name.lower().split()]


@lru_cache(maxsize=1 << 16)
def _toned_word(word: str) -> str:
    """A word's letters with their vowel marks (â, ơ, đ …) and, apart, its tone: wherever the tone sits."""
    letters = unicodedata.normalize("NFD", word)
    tone = "".join(_TONE_MARKS[c] for c in letters if c in _TONE_MARKS)
    bare = unicodedata.normalize("NFC", "".join(c for c in letters if c not in _TONE_MARKS))
    return f"{bare}{tone}"


def same_name_signature(a: int, b: int) -> bool:
    """Whether two names with the same fold() may be the same name: each word accented in both is the same."""
    both = a & b & (1 << _SIGNED_WORDS) - 1
    word = (1 << _WORD_BITS) - 1
    return all(
        (a >> (_SIGNED_WORDS + i * _WORD_BITS)) & word == (b >> (_SIGNED_WORDS + i * _WORD_BITS)) & word
        for i in range(_SIGNED_WORDS)
        if both >> i & 1
    )


def signature_adds_nothing(a: int, b: int) -> bool:
    """Whether a name of signature `a` says nothing that `b`'s (of the same fold()) does not: every word
    accented in it is accented alike in `b` (where the tone mark sits never counts)."""
    return not a & ~b & (1 << _SIGNED_WORDS) - 1 and same_name_signature(a, b)


# Latin-1 letters that Vietnamese uses (NFC). Any other character of U+00A1-U+00FF, or one of the letters
# the Windows code page adds, in a name is the trace of an old 8-bit Vietnamese font: TCVN3 (".VnTime":
# "NguyÔn Thµnh Nam") or VNI ("Nguyeãn Thaønh"), typed before Unicode and pasted into the list.
_VIETNAMESE_LATIN1 = frozenset("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")
_LEGACY_FONT = re.compile(
    "[" + "".join(chr(c) for c in range(0xA1, 0x100) if chr(c) not in _VIETNAMESE_LATIN1) + "ƒŠŒŽšœžŸ]"
)


# The UTF-8 bytes of Vietnamese letters read one byte a character, in Windows-1252 or 1258: a CSV file
# saved in UTF-8, opened in a spreadsheet without choosing it, then saved again ("Họ và tên" → "Há»� vĂ
# tĂªn"). Pairs no Vietnamese text holds: "á»"/"áº" (ạ … ỹ), "Æ°" (ư), "Ä‘" (đ), "Ã"/"Ă" + a byte 80-BF.
_MISDECODED = re.compile("á[º»]|Æ[°¡¯\u00a0]|Ä[‘’ƒ‚©\u0090\u0091]|Å[©¨]|[ÃĂ][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")


def misdecoded(text: str) -> bool:
    """Whether the text is Vietnamese in UTF-8 read as Windows-1252 or 1258 (see _MISDECODED)."""
    return _MISDECODED.search(text) is not None


def legacy_font(text: str) -> bool:
    """Whether the text bears the marks of an old Vietnamese font encoding (TCVN3, VNI) instead of Unicode."""
    return _LEGACY_FONT.search(text) is not None


def legacy_marks(text: str) -> set[str]:
    """The characters of the text that are marks of an old font (see legacy_font): "Hä vµ tªn" has three."""
    return set(_LEGACY_FONT.findall(text))


def fold(value: str) -> str:
    """Lower-case, strip diacritics and map đ→d: 'Nguyễn Văn Đạt' → 'nguyen van dat'. Word by word:
    names share their words (an import of 40,000 people has a few thousand), each is folded once."""
    return " ".join(folded for folded in map(_fold_word, value.split()) if folded)


@lru_cache(maxsize=1 << 16)
def _fold_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.lower().replace("đ", "d").replace("Đ", "d"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


# Vietnamese alphabet order; each base letter gets a two-digit code so that the key sorts the
# same under any database collation (digits only).
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_CODE = {ch: f"{i + 10:02d}" for i, ch in enumerate(_ALPHABET)}
# Tone order used by Vietnamese dictionaries: none, grave (huyền), hook (hỏi), tilde (ngã), acute (sắc), dot (nặng).
_TONES = {"\u0300": "1", "\u0309": "2", "\u0303": "3", "\u0301": "4", "\u0323": "5"}
# Marks that make a distinct letter (ă â ê ô ơ ư) rather than a tone.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}


def _letter_and_tone(ch: str) -> tuple[str, str]:
    decomposed = unicodedata.normalize("NFD", ch)
    base = decomposed[0]
    tone = "0"
    for mark in decomposed[1:]:
        if mark in _TONES:
            tone = _TONES[mark]
        elif mark in _LETTER_MARKS:
            base += mark
    return unicodedata.normalize("NFC", base), tone


@lru_cache(maxsize=1 << 16)
def _word_codes(text: str) -> tuple[str, str]:
    primary, tones = [], []
    for ch in text.lower():
        if ch.isspace():
            primary.append("01")
            continue
        letter, tone = _letter_and_tone(ch)
        code = _LETTER_CODE.get(letter)
        if code is None:
            code = f"{ord(ch) % 90 + 10:02d}" if not ch.isdigit() else f"0{2 + int(ch) // 5}"
        primary.append(code)
        tones.append(tone)
    return "".join(primary), "".join(tones)


def split_name(full_name: str) -> tuple[str, str]:
    """('Nguyễn Văn', 'An'): family and middle names, then the given name (the last word)."""
    words = nfc(full_name).split(" ")
    return " ".join(words[:-1]), words[-1]


def name_sort_key(full_name: str) -> str:
    """A digits-only key that orders names as Vietnamese lists do: given name, then family and middle
    names, letters in Vietnamese order (a ă â … đ …), tones breaking ties."""
    family, given = split_name(full_name)
    given_p, given_t = _word_codes(given)
    family_p, family_t = _word_codes(family)  # "Nguyễn Văn", "Trần Thị": cached as a whole
    return f"{given_p}00{family_p}00{given_t}{family_t}"[:250]


def edit_distance(a: str, b: str, limit: int) -> int:
    """How many letters must be inserted, deleted or replaced to turn `a` into `b` (Levenshtein), or
    `limit + 1` as soon as it is more than `limit`."""
    if a == b:  # the usual case, without the table of a row per letter
        return 0
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return min(previous[-1], limit + 1)


def grouped(value: int) -> str:
    """12345 → '12.345' in Vietnamese, '12,345' in English: counts as the active language writes them."""
    return number_format(value, force_grouping=True)
