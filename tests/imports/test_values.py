import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from django.utils import translation
from django.utils.translation import override
from hypothesis import given
from hypothesis import strategies as st

from kam.clients.models import Attitude, ClientStatus
from kam.imports import values
from kam.imports.columns import Mapping
from kam.imports.kinds import KINDS

SPACES = [" ", "\u00a0", "\u202f"]  # plain, no-break and narrow no-break


def parse(parser, *cells):
    result = parser(pl.Series(list(cells), dtype=pl.String))
    return result.value.to_list(), result.error.to_list()


def russian(number: Decimal, separator: str) -> str:
    """Format like a Russian ERP: 1 234 567,89."""
    sign, whole, fraction = ("-" if number < 0 else ""), *f"{abs(number):.2f}".split(".")
    groups = []
    while whole:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    return f"{sign}{separator.join(groups)},{fraction}"


@given(
    st.decimals(
        min_value=Decimal("-99999999999999.99"),
        max_value=Decimal("99999999999999.99"),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    ),
    st.sampled_from(SPACES),
)
def test_a_decimal_written_the_russian_way_reads_back_exactly(number, separator):
    assert parse(values.decimal(16, 2), russian(number, separator)) == ([number], [None])


@given(st.decimals(min_value=0, max_value=Decimal("9999999999999.999"), places=3))
def test_a_plain_decimal_reads_back_exactly(number):
    assert parse(values.decimal(16, 3), str(number)) == ([number], [None])


def test_decimals_in_either_format_become_exact_values():
    found, errors = parse(values.decimal(16, 2), "1 234,50", "1234.50", "-0,5", "1.500", "+3", "7")
    assert found == [Decimal(v) for v in ("1234.50", "1234.50", "-0.50", "1.50", "3.00", "7.00")]
    assert errors == [None] * 6


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("abc", "Not a number"),
        ("1.2.3", "Not a number"),
        ("1234,567", "More than 2 digits after the decimal point"),
        ("100000000000000", "Too large"),
    ],
)
def test_a_bad_decimal_is_an_error_never_a_rounded_value(cell, reason):
    found, errors = parse(values.decimal(16, 2), cell)
    assert found == [None]
    assert errors[0].startswith(reason)


def test_repeated_cells_are_parsed_once_and_every_row_keeps_its_own_result():
    cells = ["1,5", None, "abc", "1,5", "2", "abc", None, "1.5"] * 3
    found, errors = parse(values.decimal(16, 2), *cells)
    one = [Decimal("1.50"), None, None, Decimal("1.50"), Decimal("2.00"), None, None]
    assert found == (one + [Decimal("1.50")]) * 3
    assert (
        errors == ([None, None, "Not a number; write 1 234,50 or 1234.50."] * 2 + [None, None]) * 3
    )
    found, errors = parse(values.date(), "31.02.2026", None, "2024-12-31", "31.02.2026")
    assert found == [None, None, dt.date(2024, 12, 31), None]
    assert [e and e[:10] for e in errors] == ["31.02.2026", None, None, "31.02.2026"]


def test_a_price_may_not_be_negative():
    assert parse(values.decimal(16, 2, negative=False), "-1", "-0,00")[1] == [
        "Must not be negative.",
        None,
    ]


def test_dates_in_russian_and_iso_format_and_from_excel_cells():
    found, errors = parse(
        values.date(), "31.12.2024", "2024-12-31", "2024-12-31 00:00:00", "1.2.2024"
    )
    assert found == [dt.date(2024, 12, 31)] * 3 + [dt.date(2024, 2, 1)]
    assert errors == [None] * 4


def test_an_impossible_date_says_which_day_its_month_lacks():
    found, errors = parse(
        values.date(), "31.02.2026", "29.02.2023", "2024-04-31 00:00:00", "31.13.2024", "31/12/2024"
    )
    assert found == [None] * 5
    assert errors == [
        "31.02.2026: February 2026 has no day 31 (it has 28 days).",
        "29.02.2023: February 2023 has no day 29 (it has 28 days).",
        "2024-04-31: April 2024 has no day 31 (it has 30 days).",
        "31.13.2024: there is no month 13; write 31.12.2024 or 2024-12-31.",
        "Not a date; write 31.12.2024 or 2024-12-31.",
    ]


def test_an_impossible_date_is_explained_in_russian_too():
    with translation.override("ru"):
        _found, errors = parse(values.date(), "31.02.2026")
    assert errors == ["31.02.2026: 31 февраля 2026 года не бывает, в этом месяце 28 дней."]


def test_an_empty_cell_is_no_value_and_no_error():
    for parser in (values.decimal(16, 2), values.date(), values.integer(1, 5), values.boolean()):
        assert parse(parser, None) == ([None], [None])


def test_enum_values_in_either_language_or_as_codes():
    status = KINDS["clients"].column("status").parse
    found, errors = parse(status, "Active", "активный", "AT RISK", "at_risk", "Потерян", "lost")
    assert found == ["active", "active", "at_risk", "at_risk", "lost", "lost"]
    assert errors == [None] * 6


def test_integer_coded_enums_keep_their_sign():
    attitude = KINDS["contacts"].column("attitude").parse
    found, _errors = parse(attitude, "-2", "2", "+1", "Сторонник", "sceptic", "Скептик")
    assert found == [-2, 2, 1, Attitude.SUPPORTER, -1, -1]


def test_an_unknown_enum_value_names_the_choices():
    status = KINDS["clients"].column("status").parse
    _found, errors = parse(status, "sleeping")
    assert errors == [
        "Unknown value; use one of: " + ", ".join(map(str, ClientStatus.labels)) + "."
    ]


def test_yes_and_no_in_either_language():
    assert parse(values.boolean(), "да", "Нет", "yes", "NO", "1", "0")[0] == [
        True,
        False,
        True,
        False,
        True,
        False,
    ]


def test_web_addresses_get_a_scheme_and_must_look_like_one():
    found, errors = parse(values.url(200), "example.ru", "http://a.ru/x", "not a site")
    assert found[:2] == ["https://example.ru", "http://a.ru/x"]
    assert errors == [None, None, "Not a web address."]


@pytest.mark.parametrize(
    "header",
    ["Код клиента", "код  клиента", "КОД_КЛИЕНТА", "client code", "Client-Code", "CLIENT"],
)
def test_headers_match_whatever_the_case_spaces_and_punctuation(header):
    mapping = Mapping.build(KINDS["sales"].columns, [header])
    assert mapping.fields == ["client"]


@pytest.mark.parametrize("kind", ["sales", "contacts"])
def test_a_1c_counterparty_and_its_inn_are_the_client_name_and_inn(kind):
    headers = ["Контрагент", "ИНН контрагента"]
    assert Mapping.build(KINDS[kind].columns, headers).fields == ["client_name", "client_inn"]
    assert Mapping.build(KINDS[kind].columns, ["Клиент", "ИНН"]).fields == [
        "client_name",
        "client_inn",
    ]


def test_a_client_by_code_inn_or_name_is_enough_but_one_is_needed():
    columns = KINDS["sales"].columns
    for header in (["Код клиента"], ["ИНН"], ["Покупатель"]):
        assert "client" not in Mapping.build(columns, header).missing
    mapping = Mapping.build(columns, ["Дата"])
    assert "client" in mapping.missing
    assert "“client code”, “client INN” or “client name”" in mapping.problem(columns)


def test_yo_and_ye_are_the_same_letter():
    assert values.normalise_word("Ёмкость, ед. изм.") == values.normalise_word("емкость ед изм")
    status = KINDS["clients"].column("status").parse
    assert parse(status, "Ушёл", "ушел") == (["lost", "lost"], [None, None])


def test_product_headers_with_abbreviations_are_recognised():
    mapping = Mapping.build(KINDS["products"].columns, ["Ед. изм.", "Себестоимость", "Цена"])
    assert mapping.fields == ["unit", "unit_cost", "list_price"]


def test_a_mapping_names_missing_and_found_columns():
    # «Клиент» is the client's name in 1C: it stands in for the code.
    mapping = Mapping.build(KINDS["sales"].columns, ["Дата", "Клиент", "Сумма", "Комментарий"])
    assert mapping.fields == ["date", "client_name", "amount", None]
    assert mapping.problem(KINDS["sales"].columns) == (
        "Required columns are missing: “SKU”, “quantity”. "
        "Columns found: “Дата”, “Клиент”, “Сумма”, “Комментарий”."
    )


def test_of_two_headers_for_one_field_the_exact_name_wins_and_the_other_is_ignored():
    mapping = Mapping.build(KINDS["products"].columns, ["Код", "SKU", "Номенклатура", "Name"])
    assert mapping.fields == [None, "sku", None, "name"]
    assert mapping.problem(KINDS["products"].columns) == ""


def test_a_1c_sales_header_maps_without_a_problem():
    header = [
        "Период", "Регистратор", "Партнер", "Контрагент", "ИНН контрагента", "Артикул",
        "Номенклатура", "Количество", "Выручка", "Себестоимость", "Валовая прибыль",
        "Рентабельность, %",
    ]  # fmt: skip
    mapping = Mapping.build(KINDS["sales"].columns, header)
    assert mapping.fields == [
        "date", "document_number", None, "client_name", "client_inn", "product",
        "product_name", "quantity", "amount", "cost", None, None,
    ]  # fmt: skip
    assert mapping.repeated == []
    assert mapping.missing == []  # no ERP code, but the ИНН and the name stand in for it
    assert mapping.problem(KINDS["sales"].columns) == ""


@pytest.mark.parametrize("header", [["Дата", "Сумма", "ИНН"], ["Период", "Выручка", "инн"]])
def test_header_variants_of_1c_exports_are_recognised(header):
    mapping = Mapping.build(KINDS["sales"].columns, header)
    assert mapping.fields == ["date", "amount", "client_inn"]


def test_a_field_chosen_for_two_columns_is_a_problem_naming_both():
    columns = KINDS["products"].columns
    mapping = Mapping.chosen(columns, ["Артикул", "Номенклатура", "Код"], ["sku", "name", "sku"])
    assert mapping.repeated == ["sku"]
    assert mapping.problem(columns) == (
        "Each field can be imported from one column only: “SKU” from “Артикул”, “Код”."
    )


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_no_header_spelling_means_two_columns_of_one_kind(kind):
    # Labels count in both languages, so a translation must not collide with a synonym either.
    seen = {}
    for column in KINDS[kind].columns:
        for word in column.words:
            assert seen.setdefault(word, column.field) == column.field, word


def test_a_percentage_reads_with_a_comma_a_point_or_a_percent_sign():
    found, errors = parse(values.percent(), "97,5", "97.50", "95 %", "100%", "0", None)
    assert found == [Decimal(v) for v in ("97.5", "97.5", "95", "100", "0")] + [None]
    assert errors == [None] * 6


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("100,01", "Must be a percentage between 0 and 100."),
        ("-0,5", "Must be a percentage between 0 and 100."),
        ("1000", "Must be a percentage between 0 and 100."),
        ("97,555", "More than 2 digits after the decimal point."),
        ("%", "Not a number; write 1 234,50 or 1234.50."),
        ("high", "Not a number; write 1 234,50 or 1234.50."),
    ],
)
def test_a_percentage_outside_0_to_100_or_not_a_number_is_an_error(cell, reason):
    assert parse(values.percent(), cell) == ([None], [reason])


def test_yes_and_no_also_as_true_and_false_and_anything_else_is_an_error():
    found, errors = parse(values.boolean(), "true", "FALSE", "Да", "maybe", None)
    assert found == [True, False, True, None, None]
    assert errors == [None, None, None, "Unknown value; use one of: yes, no.", None]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Лидер отрасли", "is_industry_leader"),
        ("Industry leader", "is_industry_leader"),
        ("Референтный клиент", "is_reference_customer"),
        ("Reference customer", "is_reference_customer"),
        ("Требовательный эксперт", "is_expert"),
        ("Expert", "is_expert"),
        ("Оплата в срок, %", "payment_on_time_pct"),
        ("Paid on time, %", "payment_on_time_pct"),
        ("Платёжная дисциплина", "payment_on_time_pct"),
    ],
)
def test_strategic_flag_headers_in_either_language(header, field):
    assert Mapping.build(KINDS["clients"].columns, [header]).fields == [field]


def test_the_mapping_problems_quote_in_russian_with_guillemets():
    columns = KINDS["products"].columns
    with override("ru"):
        assert Mapping.build(columns, ["Цена"]).problem(columns) == (
            "Нет обязательных столбцов: «Артикул», «название». Найдены столбцы: «Цена»."
        )
        repeated = Mapping.chosen(columns, ["Артикул", "Код", "Товар"], ["sku", "sku", "name"])
        assert repeated.problem(columns) == (
            "Каждое поле импортируется только из одного столбца: «Артикул» — из столбцов "
            "«Артикул», «Код»."
        )
