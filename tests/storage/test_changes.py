"""Which tables a statement reads or writes, and when a reply made from some tables still holds."""

from storage.changes import Changes

TABLES = ("groups", "members", "memberships", "outbox", "calls")


def test_statements_are_filed_under_the_tables_they_name() -> None:
    changes = Changes(TABLES)
    with changes.watching() as seen:
        changes.saw(
            "SELECT memberships.id, members_1.display_name FROM memberships LEFT OUTER JOIN members AS members_1 "
            "ON members_1.id = memberships.member_id WHERE memberships.group_id = ?"
        )
        changes.saw("SELECT groups.id FROM groups, calls WHERE calls.group_id = groups.id")  # a comma join
        changes.saw('INSERT INTO outbox ("key", target) VALUES (?, ?) ON CONFLICT ("key") DO NOTHING')
        changes.saw("BEGIN IMMEDIATE")
        changes.saw("PRAGMA data_version")
    assert seen.read == {"memberships", "members", "groups", "calls"}
    assert seen.written == {"outbox"} and not seen.everything


def test_what_cannot_be_put_down_to_known_tables_changes_everything() -> None:
    changes = Changes(TABLES)
    for statement in ("CREATE INDEX ix ON groups (name)", "DELETE FROM somewhere_else", "ALTER TABLE calls ADD x"):
        with changes.watching() as seen:
            changes.saw(statement)
        assert seen.everything, statement
    with changes.watching() as seen:
        changes.saw("WITH doomed AS (SELECT id FROM calls) DELETE FROM calls WHERE id IN (SELECT id FROM doomed)")
    assert seen.written == {"calls"}


def test_a_reply_holds_until_a_table_it_read_changes() -> None:
    changes = Changes(TABLES)
    before = changes.snapshot()
    with changes.watching() as seen:
        changes.saw("INSERT INTO outbox (target) VALUES (?)")
    changes.committed(seen)
    assert changes.unchanged({"groups", "members"}, before)  # the outbox is not among what it read
    assert not changes.unchanged({"groups", "outbox"}, before)
    after = changes.snapshot()
    changes.everything_changed()  # another process committed
    assert not changes.unchanged({"groups"}, after)


def test_statements_outside_any_watched_work_are_not_filed() -> None:
    changes = Changes(TABLES)
    changes.saw("INSERT INTO groups (name) VALUES (?)")  # nobody is watching: nothing to file, nothing raised
    with changes.watching() as seen:
        pass
    assert seen.read == set() and seen.written == set()


def test_tables_defined_after_the_database_opened_are_kept_apart_too() -> None:
    tables = dict.fromkeys(TABLES)  # as a MetaData's tables grow when another module is imported
    changes = Changes(tables)
    with changes.watching() as seen:
        changes.saw("INSERT INTO slack_seen (key) VALUES (?)")
    assert seen.everything  # not known yet: it could be anything
    tables["slack_seen"] = None
    with changes.watching() as seen:
        changes.saw("INSERT INTO slack_seen (key) VALUES (?)")
    assert seen.written == {"slack_seen"} and not seen.everything


def test_work_watched_inside_other_work_counts_towards_both() -> None:
    changes = Changes(TABLES)
    with changes.watching() as outer:
        changes.saw("SELECT groups.id FROM groups")
        with changes.watching() as inner:
            changes.saw("SELECT members.id FROM members")
            changes.saw("UPDATE calls SET status = ?")
        changes.note_read(["memberships"])  # as a row kept from an earlier read would
    assert inner.read == {"members"} and inner.written == {"calls"}
    assert outer.read == {"groups", "members", "memberships"} and outer.written == {"calls"}
