"""Drives the fake Sheets API through real gspread to show it answers like the real one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import gspread
import pytest
import requests

from tests.fakes.sheets import (
    SERVICE_ACCOUNT_EMAIL,
    FakeSheets,
    client_for,
    fake_service_account_info,
    session_for,
)

SERIAL_2026_11_28 = (date(2026, 11, 28) - date(1899, 12, 30)).days


@pytest.fixture
def fake() -> FakeSheets:
    return FakeSheets()


@pytest.fixture
def client(fake: FakeSheets) -> gspread.Client:
    return gspread.Client(auth=None, session=session_for(fake))  # type: ignore[arg-type]


def batch(sh: gspread.Spreadsheet, ranges: list[str], **params: Any) -> list[dict[str, Any]]:
    return sh.values_batch_get(ranges, params=params)["valueRanges"]


def text_cell(value: str) -> dict[str, Any]:
    return {"values": [{"userEnteredValue": {"stringValue": value}}]}


# ----------------------------------------------------------------------------- reading


def test_rows_come_back_ragged_with_trailing_blanks_dropped(fake, client):
    key = fake.create_spreadsheet(
        "Alumni",
        {
            "Medlemmar": [
                ["Namn", "E-post", "Telefon"],
                ["Anna"],
                ["Bo", None, "070"],
                [],
                [None, None, None],
                ["Cia", None, None],
                [None],
            ]
        },
    )
    sh = client.open_by_key(key)

    [rows] = batch(sh, ["Medlemmar!A1:Z"])
    [cols] = batch(sh, ["Medlemmar!A1:C"], majorDimension="COLUMNS")

    assert rows["range"] == "Medlemmar!A1:Z1000"
    assert rows["values"] == [
        ["Namn", "E-post", "Telefon"],
        ["Anna"],
        ["Bo", "", "070"],
        [],
        [],
        ["Cia"],
    ]
    assert cols["values"] == [
        ["Namn", "Anna", "Bo", "", "", "Cia"],
        ["E-post"],
        ["Telefon", "", "070"],
    ]
    assert sh.worksheet("Medlemmar").get_all_values()[1] == ["Anna", "", ""]


@pytest.mark.parametrize("a1", ["'Tom'", "Tom!A1:Z", "Medlemmar!A10:C20", "Medlemmar!D:F"])
def test_range_without_data_has_no_values_key(fake, client, a1):
    key = fake.create_spreadsheet("Alumni", {"Medlemmar": [["Namn"], ["Anna"]], "Tom": []})
    sh = client.open_by_key(key)

    [value_range] = batch(sh, [a1])

    assert "values" not in value_range
    assert value_range["majorDimension"] == "ROWS"
    assert sh.worksheet("Tom").get_all_values() == [[]]


@pytest.mark.parametrize(
    ("title", "a1", "echoed", "first"),
    [
        ("Överträdelser", "'Överträdelser'!A1:Z", "'Överträdelser'!A1:Z1000", "x"),
        ("Kontaktlogg", "Kontaktlogg", "Kontaktlogg!A1:Z1000", "x"),
        ("Kontakt logg", "'Kontakt logg'!B:C", "'Kontakt logg'!B1:C1000", "y"),
        ("It's", "'It''s'!A:C", "'It''s'!A1:C1000", "x"),
        ("Ä/Ö 2026", "'Ä/Ö 2026'!A1", "'Ä/Ö 2026'!A1", "x"),
    ],
)
def test_sheet_names_are_quoted_and_url_encoded(fake, client, title, a1, echoed, first):
    key = fake.create_spreadsheet("Alumni", {title: [["x", "y"]]})
    sh = client.open_by_key(key)

    sh.worksheet(title).update([["skrivet"]], "A2")  # gspread quotes the title itself
    [value_range] = batch(sh, [a1])

    assert value_range["range"] == echoed
    assert value_range["values"][0][0] == first
    assert fake.values(key, title) == [["x", "y"], ["skrivet", ""]]


def test_unknown_sheet_in_range_is_a_400(fake, client):
    key = fake.create_spreadsheet("Alumni", {"Medlemmar": [["Namn"]]})
    sh = client.open_by_key(key)

    with pytest.raises(gspread.exceptions.APIError) as info:
        batch(sh, ["Medlemmar!A1", "'Nope'!A1:B2"])

    assert info.value.code == 400
    assert info.value.error["message"] == "Unable to parse range: 'Nope'!A1:B2"


@pytest.mark.parametrize(
    ("render", "dt_render", "expected"),
    [
        (
            "UNFORMATTED_VALUE",
            None,
            [pytest.approx(SERIAL_2026_11_28 + (14 * 60 + 5) / 1440), SERIAL_2026_11_28, 1.5],
        ),
        ("UNFORMATTED_VALUE", "FORMATTED_STRING", ["2026-11-28 14:05:00", "2026-11-28", 1.5]),
        ("FORMATTED_VALUE", None, ["2026-11-28 14:05:00", "2026-11-28", "1,5"]),
    ],
)
def test_dates_are_serial_numbers_unless_formatted(fake, client, render, dt_render, expected):
    key = fake.create_spreadsheet(
        "Alumni", {"T": [[datetime(2026, 11, 28, 14, 5), date(2026, 11, 28), 1.5]]}
    )
    sh = client.open_by_key(key)
    params = {"valueRenderOption": render}
    if dt_render:
        params["dateTimeRenderOption"] = dt_render

    [value_range] = batch(sh, ["T!A1:C1"], **params)

    assert value_range["values"] == [expected]


# ----------------------------------------------------------------------------- writing


@pytest.mark.parametrize(
    ("typed", "raw", "user_entered", "user_formula"),
    [
        (
            '=HYPERLINK("https://ltu.se","LTU")',
            '=HYPERLINK("https://ltu.se","LTU")',
            "LTU",
            '=HYPERLINK("https://ltu.se","LTU")',
        ),
        ("+46 70 123 45 67", "+46 70 123 45 67", "+46 70 123 45 67", "+46 70 123 45 67"),
        ("0123", "0123", 123, 123),
        ("+46701234567", "+46701234567", 46701234567, 46701234567),
        ("=1+1", "=1+1", 2, "=1+1"),
        ("=OKÄND(A1)", "=OKÄND(A1)", "#NAME?", "=OKÄND(A1)"),
        ("TRUE", "TRUE", True, True),
        ("2026-11-28", "2026-11-28", SERIAL_2026_11_28, SERIAL_2026_11_28),
        ("'0123", "'0123", "0123", "0123"),
    ],
)
def test_raw_keeps_text_while_user_entered_parses(
    fake, client, typed, raw, user_entered, user_formula
):
    key = fake.create_spreadsheet("Alumni", {"T": []})
    sh = client.open_by_key(key)
    ws = sh.sheet1

    ws.update([[typed]], "A1")  # raw=True is gspread's default
    ws.update([[typed]], "B1", raw=False)
    [unformatted] = batch(sh, ["T!A1:B1"], valueRenderOption="UNFORMATTED_VALUE")
    [formulas] = batch(sh, ["T!A1:B1"], valueRenderOption="FORMULA")

    assert unformatted["values"] == [[raw, user_entered]]
    assert formulas["values"][0][1] == user_formula
    assert fake.cell(key, "T", "A1").kind == "string"


@pytest.mark.parametrize(
    ("a1", "values", "params", "message"),
    [
        ("T!A1", [["x"]], {}, "'valueInputOption' is required but not specified"),
        (
            "T!A1:B1",
            [["a", "b", "c"]],
            {"valueInputOption": "RAW"},
            "Requested writing within range [T!A1:B1], but tried writing to column [C]",
        ),
        (
            "T!A1000",
            [["a"], ["b"]],
            {"valueInputOption": "RAW"},
            "Range (T!A1000:A1001) exceeds grid limits. Max rows: 1000, max columns: 26",
        ),
        ("T!Z1", [["a", "b"]], {"valueInputOption": "USER_ENTERED"}, "exceeds grid limits"),
    ],
)
def test_bad_value_writes_are_400_and_change_nothing(fake, client, a1, values, params, message):
    key = fake.create_spreadsheet("Alumni", {"T": [["orörd"]]})
    sh = client.open_by_key(key)

    with pytest.raises(gspread.exceptions.APIError) as info:
        sh.values_update(a1, params=params, body={"values": values})

    assert info.value.code == 400
    assert message in info.value.error["message"]
    assert fake.values(key, "T") == [["orörd"]]


def test_values_append_fills_the_first_gap_of_the_table(fake, client):
    key = fake.create_spreadsheet("Alumni", {"Logg": [["När", "Vad"], ["1", "a"], [], ["3", "c"]]})
    ws = client.open_by_key(key).sheet1

    reply = ws.append_row(["2", "b"])

    assert reply["tableRange"] == "Logg!A1:B2"
    assert reply["updates"]["updatedRange"] == "Logg!A3:B3"
    assert fake.values(key, "Logg") == [["När", "Vad"], ["1", "a"], ["2", "b"], ["3", "c"]]


# ----------------------------------------------------------------------------- batchUpdate

GOOD_EDIT = {
    "updateCells": {
        "start": {"sheetId": 0, "rowIndex": 1, "columnIndex": 0},
        "rows": [text_cell("ändrad")],
        "fields": "userEnteredValue",
    }
}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"addSheet": {"properties": {"title": "t"}}}, 'A sheet with the name "t" already exists'),
        (
            {
                "updateCells": {
                    "start": {"sheetId": 0, "rowIndex": 1000},
                    "rows": [text_cell("x")],
                    "fields": "userEnteredValue",
                }
            },
            "exceeds grid limits",
        ),
        ({"deleteSheet": {"sheetId": 999}}, "No grid with id: 999"),
        ({"copyPaste": {"source": {"sheetId": 0}, "destination": {"sheetId": 0}}}, "'copyPaste'"),
        (
            {"mergeCells": {"range": {"sheetId": 0}, "mergeType": "MERGE_COLUMNS"}},
            "MERGE_ALL only",
        ),
        ({"frobnicate": {}}, 'Unknown name "frobnicate"'),
    ],
)
def test_batch_update_is_all_or_nothing(fake, client, bad, message):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn"], ["Anna"]]})
    sh = client.open_by_key(key)

    with pytest.raises(gspread.exceptions.APIError) as info:
        sh.batch_update(
            {"requests": [GOOD_EDIT, {"addSheet": {"properties": {"title": "Ny"}}}, bad]}
        )

    assert info.value.code == 400
    assert message in info.value.error["message"]
    assert "requests[2]" in info.value.error["message"]
    assert fake.values(key, "T") == [["Namn"], ["Anna"]]
    assert fake.sheet_titles(key) == ["T"]


def test_append_cells_goes_after_the_last_row_with_data(fake, client):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn"], ["Anna"], [], ["Bo"]]})
    small = fake.add_sheet(key, "Liten", [["a"], ["b"]], row_count=2, col_count=3)
    sh = client.open_by_key(key)

    reply = sh.batch_update(
        {
            "requests": [
                {
                    "appendCells": {
                        "sheetId": 0,
                        "rows": [text_cell("Cia")],
                        "fields": "userEnteredValue",
                    }
                },
                {"appendCells": {"sheetId": small, "rows": [text_cell("c")], "fields": "*"}},
            ]
        }
    )

    assert reply == {"spreadsheetId": key, "replies": [{}, {}]}
    assert fake.values(key, "T") == [["Namn"], ["Anna"], [""], ["Bo"], ["Cia"]]
    assert fake.values(key, "Liten") == [["a"], ["b"], ["c"]]
    assert sh.worksheet("Liten").row_count == 3


def test_update_cells_properties_and_conditional_formats(fake, client):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn", "År", "Not"], ["Anna", 2020, "x"]]})
    sh = client.open_by_key(key)
    rule = {
        "ranges": [{"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 1, "endColumnIndex": 2}],
        "booleanRule": {
            "condition": {"type": "NUMBER_LESS", "values": [{"userEnteredValue": "2021"}]},
            "format": {"textFormat": {"bold": True}},
        },
    }

    reply = sh.batch_update(
        {
            "requests": [
                # A range wider than the rows clears the uncovered cells for the masked fields.
                {
                    "updateCells": {
                        "range": {
                            "sheetId": 0,
                            "startRowIndex": 1,
                            "endRowIndex": 2,
                            "startColumnIndex": 0,
                            "endColumnIndex": 3,
                        },
                        "rows": [{"values": [{"userEnteredValue": {"numberValue": 7}}, {}]}],
                        "fields": "userEnteredValue",
                    }
                },
                {
                    "updateSheetProperties": {
                        "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
                        "fields": "gridProperties.frozenRowCount",
                    }
                },
                {"addConditionalFormatRule": {"rule": rule, "index": 0}},
                {"addSheet": {"properties": {"title": "Ny", "gridProperties": {"rowCount": 5}}}},
            ]
        }
    )

    added = reply["replies"][3]["addSheet"]["properties"]
    assert added["title"] == "Ny" and added["gridProperties"]["rowCount"] == 5
    assert fake.values(key, "T") == [["Namn", "År", "Not"], [7, "", ""]]
    first = sh.fetch_sheet_metadata()["sheets"][0]
    assert first["properties"]["gridProperties"]["frozenRowCount"] == 1
    assert first["conditionalFormats"] == [rule] == fake.conditional_formats(key, "T")
    masked = sh.fetch_sheet_metadata(params={"fields": "sheets.properties(title,sheetId)"})
    assert masked == {
        "sheets": [
            {"properties": {"title": "T", "sheetId": 0}},
            {"properties": {"title": "Ny", "sheetId": added["sheetId"]}},
        ]
    }


# ----------------------------------------------------------------------------- a person's edits

START = [["Namn", "År"], ["Bo", 2019], ["Anna", 2021], ["Cia", 2020]]


@pytest.mark.parametrize(
    ("edit", "expected", "row_count"),
    [
        (
            lambda f, k: f.insert_rows(k, "T", 2, [["Dan", 2022]]),
            [["Namn", "År"], ["Dan", 2022], ["Bo", 2019], ["Anna", 2021], ["Cia", 2020]],
            1001,
        ),
        (lambda f, k: f.delete_rows(k, "T", 3), [["Namn", "År"], ["Bo", 2019], ["Cia", 2020]], 999),
        (
            lambda f, k: f.sort(k, "T", 0),
            [["Namn", "År"], ["Anna", 2021], ["Bo", 2019], ["Cia", 2020]],
            1000,
        ),
        (
            lambda f, k: f.sort(k, "T", "B", reverse=True),
            [["Namn", "År"], ["Anna", 2021], ["Cia", 2020], ["Bo", 2019]],
            1000,
        ),
        (
            lambda f, k: f.set_cell(k, "T", "B2", "okänt"),
            [["Namn", "År"], ["Bo", "okänt"], ["Anna", 2021], ["Cia", 2020]],
            1000,
        ),
        (lambda f, k: f.append_row(k, "T", ["Dan", 2022]), [*START, ["Dan", 2022]], 1000),
    ],
    ids=["insert", "delete", "sort", "sort-desc", "set-cell", "append"],
)
def test_a_persons_edits_are_what_gspread_sees(fake, client, edit, expected, row_count):
    key = fake.create_spreadsheet("Alumni", {"T": START})

    edit(fake, key)
    ws = client.open_by_key(key).sheet1

    assert ws.get_all_values(value_render_option="UNFORMATTED_VALUE") == expected
    assert ws.row_count == row_count


def test_a_person_adds_and_deletes_tabs(fake, client):
    key = fake.create_spreadsheet("Alumni", {"T": START})
    sh = client.open_by_key(key)

    fake.add_sheet(key, "Ny", [["hej"]])
    assert [ws.title for ws in sh.worksheets()] == ["T", "Ny"]
    fake.delete_sheet(key, "T")

    assert [ws.title for ws in sh.worksheets()] == ["Ny"]
    with pytest.raises(gspread.exceptions.WorksheetNotFound):
        sh.worksheet("T")


def test_before_request_hook_edits_between_read_and_write(fake, client):
    key = fake.create_spreadsheet(
        "Alumni", {"T": [["Namn", "Status"], ["Anna", "ny"], ["Bo", "ny"]]}
    )
    ws = client.open_by_key(key).sheet1
    seen = []

    @fake.before_request
    def person_inserts_a_row(f, index, method, path):
        seen.append((index, method))
        if method == "PUT":
            f.insert_rows(key, "T", 2, [["Cia", "ny"]])

    rows = ws.get_all_values()
    bo = next(n for n, row in enumerate(rows, start=1) if row[0] == "Bo")
    ws.update([["klar"]], f"B{bo}")

    # The write lands where Bo was when read: on Anna, as it would on the real API.
    assert fake.values(key, "T") == [
        ["Namn", "Status"],
        ["Cia", "ny"],
        ["Anna", "klar"],
        ["Bo", "ny"],
    ]
    assert [(fake.requests[i].op, method) for i, method in seen] == [
        ("values.get", "GET"),
        ("values.update", "PUT"),
    ]


# ----------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (429, "RESOURCE_EXHAUSTED"),
        (500, "INTERNAL"),
        (503, "UNAVAILABLE"),
        (403, "PERMISSION_DENIED"),
        (404, "NOT_FOUND"),
    ],
)
def test_injected_status_is_a_google_style_api_error(fake, client, status, name):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn"]]})
    sh = client.open_by_key(key)
    fake.fail(status)

    with pytest.raises(gspread.exceptions.APIError) as info:
        batch(sh, ["T!A1"])

    assert info.value.code == status
    assert info.value.error["status"] == name
    assert batch(sh, ["T!A1"])[0]["values"] == [["Namn"]]


def test_502_is_an_html_page_so_gspread_reports_code_minus_one(fake, client):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn"]]})
    sh = client.open_by_key(key)
    fake.fail(502)

    with pytest.raises(gspread.exceptions.APIError) as info:
        batch(sh, ["T!A1"])

    assert info.value.code == -1
    assert info.value.response.status_code == 502


def test_open_by_key_maps_403_and_unknown_keys(fake, client):
    key = fake.create_spreadsheet("Alumni", {"T": []})
    fake.fail(403)

    with pytest.raises(PermissionError):
        client.open_by_key(key)
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        client.open_by_key("no-such-key")


def test_fault_by_position_and_by_predicate(fake, client):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn"]]})
    sh = client.open_by_key(key)
    fake.reset_counts()
    fake.fail(500, at=1)
    fake.fail(503, times=None, when=lambda method, path: path.endswith(":batchUpdate"))

    outcomes = []
    for call in [lambda: batch(sh, ["T!A1"])] * 3 + [
        lambda: sh.batch_update({"requests": [GOOD_EDIT]})
    ] * 2:
        try:
            call()
            outcomes.append("ok")
        except gspread.exceptions.APIError as err:
            outcomes.append(err.code)

    assert outcomes == ["ok", 500, "ok", 503, 503]
    assert fake.request_count == 5
    assert fake.values(key, "T") == [["Namn"]]


@pytest.mark.parametrize(
    ("after_apply", "expected"),
    [(False, [["Namn"], ["Anna"]]), (True, [["Namn"], ["ändrad"]])],
)
def test_server_error_on_a_write_applies_only_when_asked(fake, client, after_apply, expected):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn"], ["Anna"]]})
    sh = client.open_by_key(key)
    fake.fail(500, when=lambda method, path: method == "POST", after_apply=after_apply)

    with pytest.raises(gspread.exceptions.APIError):
        sh.batch_update({"requests": [GOOD_EDIT]})

    assert fake.values(key, "T") == expected


@pytest.mark.parametrize(
    ("kwargs", "exception", "expected"),
    [
        ({}, requests.exceptions.ReadTimeout, [["Namn"], ["Anna"]]),
        ({"connect": True}, requests.exceptions.ConnectTimeout, [["Namn"], ["Anna"]]),
        ({"after_apply": True}, requests.exceptions.ReadTimeout, [["Namn"], ["ändrad"]]),
    ],
)
def test_timeouts_raise_from_the_adapter(fake, client, kwargs, exception, expected):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn"], ["Anna"]]})
    sh = client.open_by_key(key)
    fake.timeout(**kwargs)

    with pytest.raises(exception):
        sh.batch_update({"requests": [GOOD_EDIT]})

    assert fake.values(key, "T") == expected


# ----------------------------------------------------------------------------- plumbing


def test_requests_are_logged_and_counted(fake, client):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn"]]})
    ws = client.open_by_key(key).worksheet("T")
    assert fake.ops() == ["spreadsheets.get", "spreadsheets.get"]
    fake.reset_counts()

    ws.get_all_values()
    ws.update([["x"]], "A1")

    assert fake.request_count == 2
    method, path, params, body, op = fake.requests[1]
    assert (method, op) == ("PUT", "values.update")
    assert path == f"/v4/spreadsheets/{key}/values/'T'!A1"
    assert params == {"valueInputOption": "RAW"}
    assert body == {"values": [["x"]], "majorDimension": None}


def test_client_for_gets_a_token_from_the_fake_endpoint(fake):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn"]]})
    info = fake_service_account_info()

    client = client_for(fake)
    client.open_by_key(key).sheet1.get_all_values()

    assert info["client_email"] == SERVICE_ACCOUNT_EMAIL
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert fake.token_requests == 1
    assert fake.ops() == ["spreadsheets.get", "spreadsheets.get", "values.get"]
    wrong = session_for(fake)
    wrong.headers["Authorization"] = "Bearer stale"
    answer = wrong.get(f"https://sheets.googleapis.com/v4/spreadsheets/{key}")
    assert answer.status_code == 401
    assert answer.json()["error"]["status"] == "UNAUTHENTICATED"


def test_intercept_serves_clients_the_product_builds_itself(fake):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn"]]})

    with fake.intercept():
        client = gspread.service_account_from_dict(fake_service_account_info())
        values = client.open_by_key(key).sheet1.get_all_values()

    assert values == [["Namn"]]
    assert fake.token_requests == 1


# ----------------------------------------------------------------------------- formats people see

HELP_FIELDS = (
    "sheets(properties(gridProperties),data(rowData(values(formattedValue,dataValidation,"
    "userEnteredFormat(numberFormat))),columnMetadata(pixelSize)))"
)
COLUMN_B = {"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 1, "endColumnIndex": 2}
LIST_RULE = {
    "condition": {
        "type": "ONE_OF_LIST",
        "values": [{"userEnteredValue": "Ja"}, {"userEnteredValue": "Nej"}],
    },
    "strict": False,
    "showCustomUi": True,
}
DATE_TIME = {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm"}


def help_requests() -> list[dict[str, Any]]:
    return [
        {"setDataValidation": {"range": COLUMN_B, "rule": LIST_RULE}},
        {
            "repeatCell": {
                "range": {**COLUMN_B, "startColumnIndex": 2, "endColumnIndex": 3},
                "cell": {"userEnteredFormat": {"numberFormat": DATE_TIME}},
                "fields": "userEnteredFormat.numberFormat",
            }
        },
        {
            "updateDimensionProperties": {
                "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1},
                "properties": {"pixelSize": 180},
                "fields": "pixelSize",
            }
        },
        {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
                "fields": "gridProperties.frozenRowCount",
            }
        },
    ]


def test_validation_number_format_width_and_freeze_read_back_on_empty_cells_too(fake, client):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn", "Aktiv", "Utbildad"], ["Anna"]]})
    sh = client.open_by_key(key)
    sh.batch_update({"requests": help_requests()})
    # A person types a date-time later: the column's format makes it a date, not a number.
    sh.batch_update(
        {
            "requests": [
                {
                    "updateCells": {
                        "start": {"sheetId": 0, "rowIndex": 2, "columnIndex": 2},
                        "rows": [{"values": [{"userEnteredValue": {"numberValue": 46354.5}}]}],
                        "fields": "userEnteredValue",
                    }
                }
            ]
        }
    )

    meta = client.http_client.fetch_sheet_metadata(
        key, params={"ranges": "'T'!1:3", "fields": HELP_FIELDS}
    )

    sheet = meta["sheets"][0]
    assert sheet["properties"]["gridProperties"]["frozenRowCount"] == 1
    data = sheet["data"][0]
    assert [m["pixelSize"] for m in data["columnMetadata"][:3]] == [180, 100, 100]
    header, anna, typed = (r["values"] for r in data["rowData"])
    assert "dataValidation" not in header[1] and "userEnteredFormat" not in header[2]
    assert anna[1] == {"dataValidation": LIST_RULE}  # empty, yet validated
    assert anna[2] == {"userEnteredFormat": {"numberFormat": DATE_TIME}}
    assert typed[1]["dataValidation"] == LIST_RULE
    assert typed[2]["formattedValue"] != "46354.5"
    assert "2026" in typed[2]["formattedValue"]


def test_settings_move_with_their_rows(fake, client):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn", "Aktiv"], ["Anna"], ["Bo"]]})
    sh = client.open_by_key(key)
    sh.batch_update(
        {
            "requests": [
                {"setDataValidation": {"range": {**COLUMN_B, "endRowIndex": 2}, "rule": LIST_RULE}}
            ]
        }
    )
    fake.delete_rows(key, "T", 2)  # Anna's row, the one validated, goes: the rule goes with it
    meta = client.http_client.fetch_sheet_metadata(
        key, params={"ranges": "'T'!1:3", "fields": HELP_FIELDS}
    )
    rows = meta["sheets"][0]["data"][0]["rowData"]
    assert all("dataValidation" not in cell for row in rows for cell in row.get("values", []))


def test_a_validation_without_a_rule_clears_it(fake, client):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn", "Aktiv"], ["Anna", "Ja"]]})
    sh = client.open_by_key(key)
    sh.batch_update({"requests": [{"setDataValidation": {"range": COLUMN_B, "rule": LIST_RULE}}]})
    sh.batch_update({"requests": [{"setDataValidation": {"range": COLUMN_B}}]})
    meta = client.http_client.fetch_sheet_metadata(
        key, params={"ranges": "'T'!2:2", "fields": HELP_FIELDS}
    )
    assert "dataValidation" not in meta["sheets"][0]["data"][0]["rowData"][0]["values"][1]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {"setDataValidation": {"range": COLUMN_B, "rule": {**LIST_RULE, "showDropdown": True}}},
            "Unknown name \"showDropdown\" at 'requests[0].set_data_validation.rule'",
        ),
        (
            {
                "setDataValidation": {
                    "range": COLUMN_B,
                    "rule": {"condition": {"type": "ONE_OF_LIST"}},
                }
            },
            "requires at least one value",
        ),
        (
            {
                "setDataValidation": {
                    "range": COLUMN_B,
                    "rule": {"condition": {"type": "LIST", "values": [{"userEnteredValue": "Ja"}]}},
                }
            },
            "Invalid value at 'requests[0].set_data_validation.rule.condition.type'",
        ),
        (
            {
                "repeatCell": {
                    "range": COLUMN_B,
                    "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATETIME"}}},
                    "fields": "userEnteredFormat.numberFormat",
                }
            },
            "Invalid value at 'requests[0].repeat_cell.cell.user_entered_format.number_format.type'",
        ),
        (
            {
                "repeatCell": {
                    "range": COLUMN_B,
                    "cell": {"userEnteredFormat": {"numberFormat": {"pattern": "yyyy"}}},
                    "fields": "userEnteredFormat.numberFormat",
                }
            },
            "numberFormat.type is required",
        ),
        (
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": 0, "gridProperties": {"frozenRows": 1}},
                    "fields": "gridProperties.frozenRows",
                }
            },
            'Unknown name "frozenRows" at \'requests[0].update_sheet_properties.properties'
            ".grid_properties'",
        ),
        (
            {
                "updateDimensionProperties": {
                    "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1},
                    "properties": {"width": 120},
                    "fields": "width",
                }
            },
            "Unknown name \"width\" at 'requests[0].update_dimension_properties.properties'",
        ),
        (
            {
                "updateDimensionProperties": {
                    "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1},
                    "properties": {"pixelSize": 120},
                }
            },
            "At least one field must be specified",
        ),
    ],
)
def test_format_requests_with_wrong_names_are_refused_like_google_does(fake, client, bad, message):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn", "Aktiv"], ["Anna", "Ja"]]})
    sh = client.open_by_key(key)
    with pytest.raises(gspread.exceptions.APIError) as info:
        sh.batch_update({"requests": [bad, *help_requests()]})
    assert info.value.code == 400
    assert message in info.value.error["message"]
    meta = client.http_client.fetch_sheet_metadata(
        key, params={"ranges": "'T'!1:2", "fields": HELP_FIELDS}
    )
    sheet = meta["sheets"][0]
    assert "frozenRowCount" not in sheet["properties"]["gridProperties"]  # nothing applied
    assert sheet["data"][0]["columnMetadata"][0] == {"pixelSize": 100}


# ----------------------------------------------------------------------------- a write's answer

GRID_FIELDS = "updatedSpreadsheet(sheets(properties(title),data(rowData(values(effectiveValue)))))"


def _answer(client, key: str, body: dict[str, Any], fields: str | None = None) -> dict[str, Any]:
    url = f"https://sheets.googleapis.com/v4/spreadsheets/{key}:batchUpdate"
    params = {"fields": fields} if fields else None
    return client.http_client.request("post", url, json=body, params=params).json()


def test_a_write_answers_with_the_tabs_asked_for_as_it_left_them(fake, client):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn", "Status"], ["Anna"]], "U": [["x"]]})
    fake.set_cell(key, "T", "C2", "=1/0")
    body = {
        "requests": [GOOD_EDIT],
        "includeSpreadsheetInResponse": True,
        "responseRanges": ["'T'"],
        "responseIncludeGridData": True,
    }

    answer = _answer(client, key, body, GRID_FIELDS)

    (sheet,) = answer["updatedSpreadsheet"]["sheets"]
    assert sheet["properties"] == {"title": "T"}
    header, anna = (row["values"] for row in sheet["data"][0]["rowData"])
    assert header[0] == {"effectiveValue": {"stringValue": "Namn"}}
    assert anna[0] == {"effectiveValue": {"stringValue": "ändrad"}}, "as the write left it"
    # A formula's error is an ErrorValue here, where values.get shows its text.
    assert anna[2]["effectiveValue"]["errorValue"]["type"] == "DIVIDE_BY_ZERO"
    assert batch(client.open_by_key(key), ["T!C2"])[0]["values"] == [["#DIV/0!"]]


def test_grid_data_comes_with_the_flag_or_with_a_mask_that_names_it(fake, client):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn"], ["Anna"]]})
    body: dict[str, Any] = {
        "requests": [GOOD_EDIT],
        "includeSpreadsheetInResponse": True,
        "responseRanges": ["T!A1:A2"],
    }

    without = _answer(client, key, body)["updatedSpreadsheet"]["sheets"][0]
    flagged = _answer(client, key, {**body, "responseIncludeGridData": True})
    masked = _answer(client, key, body, GRID_FIELDS)  # the flag "is ignored" with a mask

    assert "data" not in without
    assert "data" in flagged["updatedSpreadsheet"]["sheets"][0]
    assert "data" in masked["updatedSpreadsheet"]["sheets"][0]
    assert set(masked) == {"updatedSpreadsheet"}


def test_a_tab_asked_for_twice_comes_once_with_a_grid_per_range_in_tab_order(fake, client):
    key = fake.create_spreadsheet("Alumni", {"A": [["a1"], ["a2"]], "B": [["b1"], ["b2"]]})

    meta = client.open_by_key(key).fetch_sheet_metadata(
        params={"includeGridData": "true", "ranges": ["B!A2", "A!A1", "B!A1"]}
    )

    assert [s["properties"]["title"] for s in meta["sheets"]] == ["A", "B"]
    grids = meta["sheets"][1]["data"]
    assert [g.get("startRow", 0) for g in grids] == [1, 0]
    assert grids[0]["rowData"][0]["values"][0]["formattedValue"] == "b2"


def test_a_batch_update_field_the_api_does_not_know_is_refused(fake, client):
    key = fake.create_spreadsheet("Alumni", {"T": [["Namn"], ["Anna"]]})

    with pytest.raises(gspread.exceptions.APIError) as info:
        client.open_by_key(key).batch_update({"requests": [GOOD_EDIT], "includeGridData": True})

    assert info.value.code == 400
    assert 'Unknown name "includeGridData"' in info.value.error["message"]
    assert fake.values(key, "T") == [["Namn"], ["Anna"]]


def test_a_person_inserts_and_deletes_columns(fake, client):
    key = fake.create_spreadsheet("Alumni", {"T": [["ID", "Namn"], ["AK-1", "Anna"]]})

    fake.insert_columns(key, "T", "B", ["Telefon"])
    assert fake.values(key, "T") == [["ID", "Telefon", "Namn"], ["AK-1", "", "Anna"]]
    fake.delete_columns(key, "T", 0)
    assert fake.values(key, "T") == [["Telefon", "Namn"], ["", "Anna"]]


# ----------------------------------------------------------------------------- merged cells


def test_merged_cells_show_in_the_metadata_and_keep_the_top_left_value(fake, client):
    key = fake.create_spreadsheet(
        "Alumni", {"T": [["ID", "Namn", "E-post"], ["AK-1", "Bo", "b@x"]]}
    )
    sh = client.open_by_key(key)
    assert "merges" not in sh.fetch_sheet_metadata()["sheets"][0]  # none: left out

    sh.batch_update(
        {
            "requests": [
                {
                    "mergeCells": {
                        "range": {
                            "sheetId": 0,
                            "startRowIndex": 1,
                            "endRowIndex": 2,
                            "startColumnIndex": 1,
                            "endColumnIndex": 3,
                        },
                        "mergeType": "MERGE_ALL",
                    }
                }
            ]
        }
    )

    # proto3 JSON leaves out the zero sheetId, as the real API does.
    assert sh.fetch_sheet_metadata()["sheets"][0]["merges"] == [
        {"startRowIndex": 1, "endRowIndex": 2, "startColumnIndex": 1, "endColumnIndex": 3}
    ]
    assert fake.values(key, "T") == [["ID", "Namn", "E-post"], ["AK-1", "Bo", ""]]
    assert fake.merges(key, "T") == ["B2:C2"]


@pytest.mark.parametrize(
    ("edit", "merges"),
    [
        (lambda fake, key: fake.insert_rows(key, "T", 2, [["ny"]]), ["B3:C4"]),  # above: moves
        (lambda fake, key: fake.insert_rows(key, "T", 3, [["ny"]]), ["B2:C4"]),  # inside: widens
        (lambda fake, key: fake.insert_rows(key, "T", 4, [["ny"]]), ["B2:C3"]),  # below: stays
        (lambda fake, key: fake.delete_rows(key, "T", 2), ["B2:C2"]),  # a row of it: shrinks
        (lambda fake, key: fake.delete_rows(key, "T", 2, 2), []),  # all of it: goes
        (lambda fake, key: fake.delete_rows(key, "T", 1), ["B1:C2"]),  # above: moves up
    ],
    ids=[
        "insert above",
        "insert inside",
        "insert below",
        "delete one",
        "delete all",
        "delete above",
    ],
)
def test_merged_cells_move_with_the_rows_people_insert_and_delete(fake, edit, merges):
    key = fake.create_spreadsheet("Alumni", {"T": [["ID"], ["a"], ["b"], ["c"], ["d"]]})
    fake.merge(key, "T", "B2:C3")
    edit(fake, key)
    assert fake.merges(key, "T") == merges


def test_unmerging_or_merging_across_part_of_a_merged_block_is_refused(fake, client):
    key = fake.create_spreadsheet("Alumni", {"T": [["ID"], ["a"], ["b"]]})
    fake.merge(key, "T", "B2:C3")
    sh = client.open_by_key(key)
    part = {
        "sheetId": 0,
        "startRowIndex": 1,
        "endRowIndex": 2,
        "startColumnIndex": 1,
        "endColumnIndex": 3,
    }
    for kind in ("unmergeCells", "mergeCells"):
        with pytest.raises(gspread.exceptions.APIError) as info:
            sh.batch_update({"requests": [{kind: {"range": part, "mergeType": "MERGE_ALL"}}]})
        assert "You must select all cells in a merged range" in info.value.error["message"]
    whole = {**part, "endRowIndex": 3}
    sh.batch_update({"requests": [{"unmergeCells": {"range": whole}}]})
    assert fake.merges(key, "T") == []
