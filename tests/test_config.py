"""The configuration: lookup order, defaults equal to config.example.toml, errors that name the key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from alumni.config import Config, load_config
from alumni.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_built_in_defaults_equal_the_example_file() -> None:
    example = load_config(str(ROOT / "config.example.toml"))
    defaults = load_config(cwd=ROOT / "tests")  # no config.toml there
    strip = lambda c: dataclasses.replace(  # noqa: E731
        c,
        local=dataclasses.replace(c.local, workbook=Path(c.local.workbook.name)),
        mail=dataclasses.replace(
            c.mail, outbox=Path(c.mail.outbox.name), journal=Path(c.mail.journal.name)
        ),
        schedule=dataclasses.replace(c.schedule, lock=Path(c.schedule.lock.name)),
    )
    assert strip(example) == strip(defaults)


def test_defaults_point_at_a_local_workbook_and_an_outbox(tmp_path: Path) -> None:
    config = load_config(cwd=tmp_path)
    assert config.backend == "local"
    assert config.local.workbook == tmp_path / "alumni.xlsx"
    assert config.mail.backend == "outbox"
    assert config.mail.outbox == tmp_path / "outbox"
    assert config.timezone == "Europe/Stockholm"


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("explicit", "env", "local"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.toml").write_text(f'[local]\nworkbook = "{name}.xlsx"\n')
    monkeypatch.setenv("ALUMNI_CONFIG", str(tmp_path / "env" / "config.toml"))
    cwd = tmp_path / "local"
    explicit = str(tmp_path / "explicit" / "config.toml")
    assert load_config(explicit, cwd=cwd).local.workbook.name == "explicit.xlsx"
    assert load_config(None, cwd=cwd).local.workbook.name == "env.xlsx"
    monkeypatch.delenv("ALUMNI_CONFIG")
    assert load_config(None, cwd=cwd).local.workbook.name == "local.xlsx"


def test_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "config.toml"
    path.write_text('[local]\nworkbook = "data/sheet.xlsx"\n[mail]\noutbox = "/abs/out"\n')
    config = load_config(str(path), cwd=tmp_path)
    assert config.local.workbook == tmp_path / "conf" / "data" / "sheet.xlsx"
    assert config.mail.outbox == Path("/abs/out")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('backnd = "local"', "unknown key 'backnd'"),
        ('[mail]\nfrm = "x"', "unknown key 'mail.frm'"),
        ('[smtp]\nport = "587"', "'smtp.port' must be a whole number, not '587'"),
        ("[smtp]\nport = true", "'smtp.port' must be a whole number"),
        ("[google]\nretries = -1", "'google.retries' must not be negative"),
        ('timezone = "Europe/Lulea"', "'timezone' 'Europe/Lulea' is not a known time zone"),
        ('backend = "excel"', "'backend' is 'excel' — use one of \"local\", \"google\""),
        ('mandate_start = "1 september"', "'mandate_start' '1 september' must be \"MM-DD\""),
        ('[schedule]\ndaily_at = "7"', "'schedule.daily_at' '7' must be \"HH:MM\""),
        ("[deadlines]\nreply_hours = -1", "'deadlines.reply_hours' must not be negative"),
        ("local = 3", "'local' must be a table"),
        ("backend = ", "not valid TOML"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError, match=None) as info:
        load_config(str(path))
    assert message in str(info.value)
    assert info.value.exit_code == 2


def test_integers_are_accepted_where_numbers_are_asked(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[google]\ntimeout_seconds = 10\n")
    assert load_config(str(path)).google.timeout_seconds == 10.0


def test_missing_explicit_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(str(tmp_path / "nope.toml"))


def test_env_pointing_nowhere_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALUMNI_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="ALUMNI_CONFIG"):
        load_config(None, cwd=tmp_path)


def test_every_key_of_the_example_is_documented_with_a_comment() -> None:
    lines = (ROOT / "config.example.toml").read_text().splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            assert lines[i - 1].startswith("#"), f"config.example.toml line {i + 1} has no comment"


def test_config_type_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().backend = "google"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[mail]\nfrom_address = "alumni at sektionen"',
            "'mail.from_address': 'alumni at sektionen' is not one e-mail address: it contains ' '"
            ' — write one address in quotes, such as "alumni@sektionen.se".',
        ),
        (
            '[mail]\nfrom_address = ""',
            "'mail.from_address': an e-mail address is missing — write one address in quotes",
        ),
        (
            '[mail]\nfrom_address = "alumni@sektionen.se\\r\\nBcc: x@y.se"',
            "'mail.from_address': 'alumni@sektionen.se\\r\\nBcc: x@y.se' is not one e-mail "
            "address: it contains '\\n', '\\r', ' ', ':'",
        ),
        (
            '[deadlines]\nnaringslivsansvarig = "Nils"',
            "'deadlines.naringslivsansvarig': 'Nils' is not one e-mail address: it needs exactly "
            "one @",
        ),
    ],
)
def test_an_address_setting_that_is_not_one_address_is_refused_at_load(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)
    assert info.value.exit_code == 2
