"""The libpq password file ``kubechat audit init`` writes: escaping, replacing, mode 0600."""

from __future__ import annotations

import stat
from pathlib import Path

from kubechat_lab.audit._pgpass import read_password, write_password


def test_fields_with_colons_and_backslashes_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "pgpass"
    entry = ("::1", "5432", "db:with:colons", "role\\x")
    write_password(path, entry, "p:a\\ss")
    assert path.read_text() == "\\:\\:1:5432:db\\:with\\:colons:role\\\\x:p\\:a\\\\ss\n"
    assert read_password(path, entry) == "p:a\\ss"
    assert read_password(path, ("::1", "5432", "db:with:colons", "other")) is None


def test_an_entry_is_replaced_and_other_lines_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "pgpass"
    path.parent.mkdir()
    path.write_text("# mine\nother:1:db:u:keep\nh:5432:db:app:old\n")
    write_password(path, ("h", "5432", "db", "app"), "new")
    assert path.read_text() == "# mine\nother:1:db:u:keep\nh:5432:db:app:new\n"
    assert read_password(path, ("h", "5432", "db", "app")) == "new"
    assert read_password(path, ("other", "1", "db", "u")) == "keep"


def test_the_file_is_private_and_a_missing_one_holds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "new" / "pgpass"
    assert read_password(path, ("h", "1", "d", "u")) is None
    write_password(path, ("h", "1", "d", "u"), "secret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # libpq ignores a group/world-readable one
    assert sorted(p.name for p in path.parent.iterdir()) == ["pgpass"]  # no temporary left
