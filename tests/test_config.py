"""The configuration: lookup order, defaults equal to config.example.toml, errors that name the key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from alumni.config import Config, ImapConfig, MailConfig, load_config
from alumni.errors import ConfigError
from alumni.mail.imap import ImapSettings
from alumni.mail.imap_open import open_imap_settings

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
        imap=dataclasses.replace(c.imap, state=Path(c.imap.state.name)),
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


# -- [imap] and [mail] committee_address ---------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_imap_defaults_leave_the_mailbox_unread(tmp_path: Path) -> None:
    imap = load_config(cwd=tmp_path).imap
    assert not imap.enabled and imap.host == ""
    assert (imap.port, imap.security, imap.username) == (993, "ssl", "")
    assert imap.password_env == "ALUMNI_IMAP_PASSWORD"
    assert imap.folders == ("INBOX", "Sent")
    assert (imap.first_days, imap.timeout_seconds, imap.ca_file) == (60, 30.0, None)
    assert imap.state == tmp_path / "mailbox-state.json"
    assert not ImapConfig(host="  ").enabled


def test_imap_section_is_read_and_its_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "config.toml"
    path.write_text(
        "[imap]\n"
        'host = "imap.gmail.com"\n'
        "port = 1993\n"
        'security = "starttls"\n'
        'username = "alumni@sektionen.se"\n'
        'password_env = "BREVLADA"\n'
        'folders = ["INBOX", "[Gmail]/Skickat"]\n'
        "first_days = 14\n"
        'ca_file = "ca.pem"\n'
        "timeout_seconds = 5\n"
        'state = "data/brevlada.json"\n',
        encoding="utf-8",
    )
    imap = load_config(str(path), cwd=tmp_path).imap
    assert imap.enabled
    assert imap == ImapConfig(
        host="imap.gmail.com",
        port=1993,
        security="starttls",
        username="alumni@sektionen.se",
        password_env="BREVLADA",
        folders=("INBOX", "[Gmail]/Skickat"),
        first_days=14,
        ca_file=tmp_path / "conf" / "ca.pem",
        timeout_seconds=5.0,
        state=tmp_path / "conf" / "data" / "brevlada.json",
    )
    absolute = write(tmp_path, f'[imap]\nstate = "{tmp_path / "abs.json"}"')
    assert load_config(str(absolute)).imap.state == tmp_path / "abs.json"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[imap]\nsecurity = "tls"',
            '\'imap.security\' is \'tls\' — use one of "ssl", "starttls", "plain"',
        ),
        ('[imap]\nsecurity = "none"', "'imap.security' is 'none' — use one of"),
        ('[imap]\nport = "993"', "'imap.port' must be a whole number, not '993'"),
        ("[imap]\nport = 993.0", "'imap.port' must be a whole number, not 993.0"),
        ("[imap]\nport = -1", "'imap.port' must not be negative"),
        ("[imap]\nport = 0", "'imap.port' is 0 — use a port from 1 to 65535"),
        ("[imap]\nport = 99300", "'imap.port' is 99300 — use a port from 1 to 65535"),
        ('[imap]\nfolders = "INBOX"', "'imap.folders' must be a list of texts"),
        ('[imap]\nfolders = ["INBOX", 2]', "'imap.folders' must be a list of texts"),
        ('[imap]\nfolders = ["INBOX", " "]', "'imap.folders' holds an empty folder name"),
        ('[imap]\nhost = "imap.gmail.com"\nfolders = []', "'imap.folders' is empty"),
        ("[imap]\nfirst_days = -5", "'imap.first_days' must not be negative"),
        ("[imap]\ntimeout_seconds = 0", "'imap.timeout_seconds' must be more than 0"),
        ('[imap]\nhots = "imap.gmail.com"', "unknown key 'imap.hots'"),
        ("[imap]\nstate = 3", "'imap.state' must be a path in quotes"),
        ("imap = 3", "'imap' must be a table"),
        ('[mail]\ncommittee_address = "alumni"', "'mail.committee_address': 'alumni' is not one"),
        ("[mail]\ncommittee_address = 4", "'mail.committee_address' must be text in quotes"),
    ],
)
def test_bad_imap_and_committee_settings_name_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)
    assert info.value.exit_code == 2


def test_an_empty_folder_list_is_fine_while_the_mailbox_is_not_read(tmp_path: Path) -> None:
    assert load_config(str(write(tmp_path, "[imap]\nfolders = []"))).imap.folders == ()


def test_the_committee_address_falls_back_to_the_from_address(tmp_path: Path) -> None:
    assert MailConfig().committee() == MailConfig().from_address == "alumni@example.org"
    only_from = write(tmp_path, '[mail]\nfrom_address = "utskick@sektionen.se"')
    assert load_config(str(only_from)).mail.committee() == "utskick@sektionen.se"
    both = write(
        tmp_path,
        '[mail]\nfrom_address = "utskick@sektionen.se"\ncommittee_address = "alumni@sektionen.se"',
    )
    mail = load_config(str(both)).mail
    assert (mail.committee_address, mail.committee()) == (
        "alumni@sektionen.se",
        "alumni@sektionen.se",
    )
    assert mail.from_address == "utskick@sektionen.se"


IMAP_ON = ImapConfig(host="imap.gmail.com", username="alumni@sektionen.se")
SECRET = "hemligt-lösenord-äö"


def test_imap_settings_take_the_password_from_the_environment(tmp_path: Path) -> None:
    imap = dataclasses.replace(IMAP_ON, ca_file=tmp_path / "ca.pem", state=tmp_path / "s.json")
    settings = open_imap_settings(Config(imap=imap), {"ALUMNI_IMAP_PASSWORD": SECRET})
    assert settings == ImapSettings(
        host="imap.gmail.com",
        port=993,
        user="alumni@sektionen.se",
        password=SECRET,
        security="ssl",
        folders=("INBOX", "Sent"),
        first_days=60,
        timeout=30.0,
        ca_file=tmp_path / "ca.pem",
    )
    other = dataclasses.replace(IMAP_ON, password_env="BREVLADA")
    assert open_imap_settings(Config(imap=other), {"BREVLADA": SECRET}).password == SECRET


@pytest.mark.parametrize(
    "environ", [{}, {"ALUMNI_IMAP_PASSWORD": ""}, {"ALUMNI_SMTP_PASSWORD": SECRET}]
)
def test_a_missing_imap_password_names_the_variable(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as info:
        open_imap_settings(Config(imap=IMAP_ON), environ)
    text = str(info.value)
    assert "$ALUMNI_IMAP_PASSWORD is empty or not set" in text
    assert "set ALUMNI_IMAP_PASSWORD to the mailbox's password" in text
    assert SECRET not in text and "alumni@sektionen.se" not in text
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("imap", "message"),
    [
        (ImapConfig(), "[imap] host is empty, so the committee's mailbox is not read"),
        (ImapConfig(host="imap.gmail.com"), "[imap] username is empty"),
        (dataclasses.replace(IMAP_ON, password_env=""), "[imap] password_env is empty"),
        (dataclasses.replace(IMAP_ON, security="tls"), "[imap] security is 'tls'"),
    ],
)
def test_imap_settings_refuse_what_cannot_log_in(imap: ImapConfig, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        open_imap_settings(Config(imap=imap), {"ALUMNI_IMAP_PASSWORD": SECRET})
    assert message in str(info.value) and SECRET not in str(info.value)
