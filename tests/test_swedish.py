from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klimatgraf.swedish import format_date, format_number, parse_date, parse_number, split_sentences


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("57 215", 57215),
        ("1 108 880", 1108880),
        ("1\u00a0108\u00a0880", 1108880),
        ("44,8", 44.8),
        ("19,8", 19.8),
        ("1,2 miljoner", 1_200_000),
        ("590 tusen", 590_000),
        ("2030", 2030),
    ],
)
def test_swedish_numbers_parse_with_space_groups_and_decimal_comma(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value)


def test_non_numbers_are_rejected() -> None:
    with pytest.raises(ValueError):
        parse_number("fyra")


@given(st.integers(min_value=0, max_value=10**12))
def test_integers_round_trip_through_swedish_format(value: int) -> None:
    assert parse_number(format_number(value)) == value


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=9))
def test_decimals_round_trip_through_swedish_format(whole: int, tenth: int) -> None:
    value = whole + tenth / 10
    assert parse_number(format_number(value)) == pytest.approx(value)


def test_signing_date_in_running_text() -> None:
    assert parse_date("undertecknas den 5 december 2025 vid European Viable Cities Day") == date(2025, 12, 5)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31)))
def test_dates_round_trip_through_swedish_format(value: date) -> None:
    assert parse_date(format_date(value)) == value


# ----------------------------------------------------------------------------- the one text fold


def test_fold_casefolds_and_normalises_whitespace_keeping_accents() -> None:
    from klimatgraf.swedish import fold

    assert fold("  Minskat   MATSVINN\n i\tskolan ") == "minskat matsvinn i skolan"
    assert fold("Möbler") == "möbler" != fold("Mobler")
    assert fold("STRASSE") == fold("Straße")  # casefold, not lower


def test_fold_can_strip_accents_for_names_typed_without_them() -> None:
    from klimatgraf.reference import fold as name_fold
    from klimatgraf.retrieval import fold_name
    from klimatgraf.swedish import fold

    assert fold("Örnsköldsvik", strip_accents=True) == "ornskoldsvik" == name_fold("ÖRNSKÖLDSVIK")
    assert fold("Upplands  Väsby\n", strip_accents=True) == "upplands vasby"
    assert fold_name(" Upplands Väsby  kommun") == "upplands vasby" == fold_name("upplands vasby")


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "Vi ska t.ex. cykla mer. Bussar går bl.a. till Umeå! Kostar det ca. 30 mkr? Ja.",
            ["Vi ska t.ex. cykla mer.", "Bussar går bl.a. till Umeå!", "Kostar det ca. 30 mkr?", "Ja."],
        ),
        (
            "Se kap. 4 och avsnitt 2.3 om 1,5 grader. Nästa steg.",
            ["Se kap. 4 och avsnitt 2.3 om 1,5 grader.", "Nästa steg."],
        ),
        ("Budgeten är 30 mkr. Beslutet togs 2 st. per år.", ["Budgeten är 30 mkr.", "Beslutet togs 2 st. per år."]),
        (
            "Energi, transporter m.m. Kommunen ska agera m.m. och mer.",
            ["Energi, transporter m.m.", "Kommunen ska agera m.m. och mer."],
        ),
        ("Utsläppen minskade 2023. 2024 fortsatte det.", ["Utsläppen minskade 2023.", "2024 fortsatte det."]),
        ("Enligt s. 12 i planen (s.k. gröna lån). Klart.", ["Enligt s. 12 i planen (s.k. gröna lån).", "Klart."]),
        ("Kommunen ska: • minska • öka", ["Kommunen ska:", "• minska", "• öka"]),
        ("En mening utan slut", ["En mening utan slut"]),
        ("", []),
    ],
)
def test_sentences_split_at_sentence_ends_not_at_abbreviations_or_numbers(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


@given(st.lists(st.sampled_from(["Kommunen ska t.ex. cykla.", "Vi når ca. 30 %.", "Se kap. 4.", "Bra!"]), max_size=8))
def test_split_sentences_keeps_every_word_in_order(parts: list[str]) -> None:
    text = " ".join(parts)
    assert " ".join(split_sentences(text)) == text
    assert len(split_sentences(text)) == len(parts)
