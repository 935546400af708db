"""The console, run as `convene` would be run, as a subprocess reading a script on standard input."""

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.console import Seen, render
from handlers.command.messages import Button, Reply, Section


def run_console(
    db_url: str, script: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CONVENE_", "SLACK_", "DATABASE_URL"))}
    environ.update(DATABASE_URL=db_url, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "bot", "console", *args],
        input=script,
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        cwd=Path(__file__).parent.parent,
    )


SESSION = """\
group new "Digital Skills" kind:task seats:4
call digital-skills closes:2099-01-31
:as Bea
volunteer digital-skills as:chair
:as Cal
groups task open
2
:as Ada
volunteers digital-skills
1
"""


def test_scripted_session_creates_a_group_opens_a_call_accepts_and_delivers_the_notice(db_url: str) -> None:
    done = run_console(db_url, SESSION, "--no-demo")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "(Ada is the first to speak here, so is an admin: the steering group.)" in out
    assert "Created the task-and-finish group Digital Skills (`digital-skills`)" in out
    assert "→ #announcements: Call for volunteers: Digital Skills" in out
    assert "Thank you! You have offered to serve on Digital Skills as chair." in out
    assert "[1] Volunteer as member (digital-skills)  [2] Volunteer as chair (digital-skills)" in out
    assert "Thank you! You have offered to serve on Digital Skills as chair." in out.split("Cal> 2")[1]
    assert "Accepted Bea into Digital Skills as chair; they have been told. Seats left: 3." in out
    assert (
        "→ DM Bea: Welcome aboard! The steering group accepted your offer to serve on Digital Skills as chair." in out
    )
    assert "→ #announcements (updated): Call for volunteers: Digital Skills" in out
    assert out.index("Accepted Bea") < out.index("→ DM Bea")


def test_help_and_groups_on_a_new_database_show_the_demo(db_url: str) -> None:
    done = run_console(db_url, "help\ngroups\n")
    assert done.returncode == 0, done.stderr
    assert "A sample consortium is ready to explore" in done.stdout
    assert "`volunteer <group> [as:member|chair] [note:…]`" in done.stdout
    for group in ("Diversity (diversity)", "Wellbeing (wellbeing)", "Scholarly Libraries (scholarly-libraries)"):
        assert group in done.stdout
    again = run_console(db_url, "groups\n")
    assert "A sample consortium" not in again.stdout and again.stdout.count("Diversity (diversity)") == 1


def test_console_commands_and_bad_lines(db_url: str) -> None:
    script = ":as\n:as Bad Name!\n7\n:clock +2d\n:clock soon\n:what\n:as Bea\nhelp\n:quit\nhelp\n"
    done = run_console(db_url, script, "--no-demo", env={"CONVENE_ADMINS": "console:bea"})
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("Usage: :as NAME") == 2
    assert "The newest message you can see has no buttons to press." in out
    assert "The clock is now" in out and "Usage: :clock +3d" in out
    assert ":quit  leave" in out
    assert "For the steering group" in out  # Bea is an admin by configuration
    assert out.count("Bea> help") == 1  # nothing after :quit


def test_unknown_setting_stops_start_up_with_its_name(db_url: str) -> None:
    done = run_console(db_url, "help\n", env={"CONVENE_ADMNIS": "console:bea"})
    assert done.returncode == 2
    assert "Unknown setting CONVENE_ADMNIS. Did you mean CONVENE_ADMINS?" in done.stderr
    bad = run_console(db_url, "help\n", env={"CONVENE_ADMINS": "bea"})
    assert bad.returncode == 2 and "CONVENE_ADMINS" in bad.stderr and "platform:user_id" in bad.stderr


def test_a_huge_clock_step_is_refused_and_the_demo_never_meets_people_already_there(db_url: str) -> None:
    first = run_console(db_url, ":as Owen\nhelp\n", "--no-demo")  # someone with a demo person's name
    assert first.returncode == 0, first.stderr
    done = run_console(db_url, ":clock +9999999d\n:clock +99999999999999999999w\ngroups\n")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout.count("The clock moves at most 5 years at a time.") == 2
    assert "A sample consortium" not in done.stdout  # the database was not empty: no demo
    assert "No groups match" in done.stdout


def test_a_number_presses_a_button_of_the_newest_message_the_speaker_can_see(db_url: str) -> None:
    """SPEC §4: a number presses a button. Bea has typed nothing yet: the newest message she can see is the call's
    announcement in a channel, so `1` volunteers her."""
    script = 'group new "Digital Skills" kind:task seats:4\ncall digital-skills\n:as Bea\n1\n'
    done = run_console(db_url, script, "--no-demo")
    assert done.returncode == 0, done.stderr
    assert "Thank you! You have offered to serve on Digital Skills as member." in done.stdout.split("Bea> 1")[1]


def test_a_message_to_one_person_is_pressed_only_by_them() -> None:
    seen = Seen()
    ours = [Button("Yes, we met", "pairing", "pairing met 1 met")]
    seen.show(None, [Button("Volunteer", "volunteer", "volunteer x")])
    seen.show(frozenset({"bea", "cal"}), ours)
    assert seen.buttons_for("bea") == ours and seen.buttons_for("cal") == ours
    assert [b.label for b in seen.buttons_for("dee")] == ["Volunteer"]  # not theirs: the channel's is newest


def test_buttons_of_several_sections_say_what_each_acts_on() -> None:
    reply = Reply(
        "Offers",
        sections=(
            Section("Offers to serve on RL:"),
            Section("Bea — as member, offered", buttons=(Button("Accept", "accept", "accept <member:2> rl"),)),
            Section("Cal (Northgate) — as chair", buttons=(Button("Accept", "accept", "accept <member:3> rl"),)),
        ),
    )
    text, _ = render(reply)
    assert text.endswith("[1] Accept (Bea)  [2] Accept (Cal)")


POLL_SESSION = """\
group new "Book Club" kind:community channel:#book-club
join book-club
poll "Next book?" "Middlemarch" "Beloved" group:book-club
:as Bea
join book-club
vote 1 2
:as Ada
poll results 1 chart
poll close 1
"""


def test_a_polls_chart_is_saved_to_a_file_whose_path_is_printed(db_url: str, tmp_path: Path) -> None:
    charts = tmp_path / "charts"
    done = run_console(db_url, POLL_SESSION, "--no-demo", env={"CONVENE_CONSOLE_FILES": str(charts)})
    assert done.returncode == 0, done.stderr
    assert "The chart of poll 1 is on its way to you in a direct message." in done.stdout
    saved = re.findall(r"\[Poll 1: Next book\?: saved to (\S+\.png)\]", done.stdout)
    assert len(saved) == 2, done.stdout  # the one asked for, and the one posted at closing
    for path in map(Path, saved):
        assert path.parent == charts.resolve() and path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "→ #book-club: 📊 Chart of poll 1: Next book? (1 vote)" in done.stdout


def test_the_demo_has_an_event_with_one_seat_left(db_url: str) -> None:
    done = run_console(db_url, "events\n:as Tom\nrsvp 1 going\n:as Sam\nrsvp 1 going\n")
    assert done.returncode == 0, done.stderr
    assert "Event 1: Open access reading circle — " in done.stdout and "14:00-15:30 (Europe/London time)" in done.stdout
    assert "You are going to Open access reading circle" in done.stdout
    assert "Open access reading circle is full, so you are number 1 on its waitlist." in done.stdout
    assert "→ DM Priya: Open access reading circle is full: all 3 seats are taken." in done.stdout
