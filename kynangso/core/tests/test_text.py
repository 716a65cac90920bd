import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kynangso.core.text import (
    edit_distance,
    fold,
    legacy_font,
    merged_name,
    misdecoded,
    name_case,
    name_signature,
    name_sort_key,
    nfc,
    same_name_signature,
)


def test_fold_strips_tones_and_maps_d():
    assert fold("Nguyễn Văn Đạt") == "nguyen van dat"
    assert fold("  ĐẶNG   thị  Ánh ") == "dang thi anh"


def test_fold_handles_nfd_input():
    decomposed = "Nguye\u0302\u0303n"  # NFD "Nguyễn"
    assert fold(decomposed) == "nguyen"
    assert nfc(decomposed) == "Nguyễn"


def test_sort_by_given_name_then_family_name():
    names = ["Trần Văn Bình", "Nguyễn Thị An", "Lê Văn An", "Phạm Đức Anh", "Nguyễn Văn Ân", "Hồ Thị Ăn"]
    ordered = sorted(names, key=name_sort_key)
    # a < ă < â are three letters; "Anh" is "a…" so it comes before "Ăn".
    assert ordered == [
        "Lê Văn An",
        "Nguyễn Thị An",
        "Phạm Đức Anh",
        "Hồ Thị Ăn",
        "Nguyễn Văn Ân",
        "Trần Văn Bình",
    ]


def test_d_sorts_before_dd_and_tones_break_ties():
    assert sorted(["Lê Đào", "Lê Dũng"], key=name_sort_key) == ["Lê Dũng", "Lê Đào"]
    assert sorted(["A Hà", "A Ha", "A Há", "A Hạ", "A Hả", "A Hã"], key=name_sort_key) == [
        "A Ha",
        "A Hà",
        "A Hả",
        "A Hã",
        "A Há",
        "A Hạ",
    ]


def test_sort_key_is_digits_only():
    assert name_sort_key("Nguyễn Văn Đạt").isdigit()


@given(
    st.text(alphabet=st.sampled_from("aAđĐ eơƯ\u0301\u0303\u0323\t\n\u00a0\u3000xyz1-"), max_size=40)
    | st.text(max_size=40)
)
def test_fold_word_by_word_equals_folding_the_whole_text(text):
    """fold() works word by word (cached); it must equal folding the whole text at once."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    whole = re.sub(r"\s+", " ", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")).strip()
    assert fold(text) == whole


@given(
    st.text(
        alphabet=st.sampled_from("aA ă\u0306\u0301\t\n\r\x0b\x0c\x1c\x1f\x85\x90\u00a0\u00ad\u200b\u2028\u3000\ufeff"),
        max_size=30,
    )
    | st.text(max_size=30)
)
def test_nfc_collapses_white_space_as_the_regular_expression_did(text):
    """… and reads the control characters that are not white space as white space."""
    controls = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x9f]")
    invisible = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
    expected = controls.sub(" ", invisible.sub("", unicodedata.normalize("NFC", text)))
    assert nfc(text) == re.sub(r"\s+", " ", expected).strip()


@pytest.mark.parametrize(
    "a,b,distance",
    [
        ("tran thi lan", "tran thi lan", 0),
        ("tran thi lan", "tran thi lam", 1),
        ("nguyen van an", "nguyen van anh", 1),
        ("nguyen van an", "nguyen van binh", 3),  # more than the limit of 2: reported as 3
        ("le thi hoa", "nguyen van an", 3),
        ("", "an", 2),
    ],
)
def test_edit_distance_counts_up_to_its_limit(a, b, distance):
    assert edit_distance(a, b, 2) == distance == edit_distance(b, a, 2)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("NGUYỄN VĂN AN", "Nguyễn Văn An"),
        ("đặng thị ánh tuyết", "Đặng Thị Ánh Tuyết"),
        ("H'HEN NIÊ", "H'Hen Niê"),  # Ê Đê names keep their apostrophe
        ("Y-MOAN ÊNUÔL", "Y-Moan Ênuôl"),
        ("Nguyễn văn AN", "Nguyễn Văn An"),  # word by word
        ("trần văn BÌNH", "Trần Văn Bình"),
        ("Ksor H'Nga", "Ksor H'Nga"),
        ("Hồ A Dính", "Hồ A Dính"),
        ("Mai McLEAN", "Mai McLEAN"),  # a word in mixed case: as typed
        ("Tôn Nữ Hoàng Thị", "Tôn Nữ Hoàng Thị"),
    ],
)
def test_a_name_in_capitals_or_small_letters_gets_the_usual_case(typed, stored):
    assert name_case(typed) == stored


@pytest.mark.parametrize(
    ("typed", "stored", "kept"),
    [
        ("Lê Thị AN", "Lê Thị Ân", "Lê Thị Ân"),  # a word without its accents, in capitals
        ("Le Thi An", "Lê Thị Ân", "Lê Thị Ân"),
        ("Lê Thị Ân", "Le Thi An", "Lê Thị Ân"),  # the accents added
        ("Lê Thị Ân", "Lê Thị Ấn", "Lê Thị Ân"),  # an accent corrected
        ("Lê Thị Ngọc Ân", "Lê Thị Ân", "Lê Thị Ngọc Ân"),  # another word
        ("lê thị ân", "Lê Thị Ân", "Lê Thị Ân"),  # all in small letters
        ("H'Hen Niê", "H'hen Niê", "H'Hen Niê"),  # a case set on purpose
        ("Đinh McLean", "Đinh Mclean", "Đinh McLean"),
    ],
)
def test_a_known_persons_name_keeps_the_accents_a_list_left_out(typed, stored, kept):
    assert merged_name(typed, stored) == kept


def test_text_in_an_old_vietnamese_font_encoding_is_recognised():
    for legacy in ("NguyÔn Thµnh Nam", "Chuyªn viªn", "TrÇn V¨n Hïng", "N÷", "Nguyeãn Thaønh"):
        assert legacy_font(legacy), legacy
    for unicode in ("Nguyễn Văn Đạt", "Phó trưởng phòng – Tổ “A”", "Đoàn Thị Ánh Tuyết", "H'Hen Niê"):
        assert not legacy_font(unicode), unicode
        assert not misdecoded(unicode), unicode
        for code_page in ("cp1252", "cp1258"):  # UTF-8 read one byte a character: garbled another way
            garbled = unicode.encode().decode(code_page, errors="replace")
            assert misdecoded(garbled) and legacy_font(garbled), garbled
    for legacy in ("NguyÔn Thµnh Nam", "Chuyªn viªn", "TrÇn V¨n Hïng", "N÷", "Nguyeãn Thaønh", "NGÃ BA"):
        assert not misdecoded(legacy), legacy


def test_nfc_reads_control_characters_that_postgresql_refuses_as_spaces():
    from kynangso.core.text import nfc

    assert nfc("Trưởng\x00 phòng\x07\tkế  toán\r\n") == "Trưởng phòng kế toán"
    assert nfc("Chuyên\x00viên\x7f") == "Chuyên viên" and nfc("Trần\x80Văn") == "Trần Văn"
    assert nfc("Nguy\u200bễn Văn\u00ad An\ufeff") == "Nguyễn Văn An"  # invisible, pasted from a web page
    assert nfc("Nguye\u0302\u0303n") == "Nguyễn"  # NFD in, NFC out


def test_a_name_signature_tells_every_accented_spelling_of_a_word_apart_and_ignores_case():
    # Every spelling of "ha", "an", "thi" and "nguyen" Vietnamese writes (tone marks on each vowel form).
    tones = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
    spellings = set()
    for base in ["ha", "a", "an", "thi", "nguyên", "nguyen", "hâ", "ăn", "ân", "ơn", "ưng"]:
        for tone in tones:
            vowel = max(i for i, ch in enumerate(base) if ch in "aăâeêioôơuưy")
            word = unicodedata.normalize("NFC", base[: vowel + 1] + tone + base[vowel + 1 :])
            spellings.add(word)
    accented = sorted(w for w in spellings if not w.isascii())
    signatures = {w: name_signature(f"Lê Thị {w}") for w in accented}
    assert len(set(signatures.values())) == len(accented) > 60
    for a in accented:
        assert same_name_signature(signatures[a], name_signature(f"LÊ THỊ {a.upper()}"))
        assert same_name_signature(signatures[a], name_signature(f"Le Thi {fold(a)}"))  # typed without accents
        assert [b for b in accented if same_name_signature(signatures[a], signatures[b])] == [a]


def test_a_name_signature_does_not_care_where_the_tone_mark_sits():
    for old_style, new_style in [("Hòa", "Hoà"), ("Thủy", "Thuỷ"), ("Khỏe", "Khoẻ"), ("Thúy", "Thuý")]:
        a, b = name_signature(f"Nguyễn Thị {old_style}"), name_signature(f"NGUYỄN THỊ {new_style.upper()}")
        assert same_name_signature(a, b), (old_style, new_style)
    assert not same_name_signature(name_signature("Nguyễn Thị Hòa"), name_signature("Nguyễn Thị Hóa"))
