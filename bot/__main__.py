"""Small command line.

  python -m bot run                           what `make run` does: the Procfile's processes under supervisord
  python -m bot processes                     the names of the processes it starts
  python -m bot outbox plan [--days N]        plan daily exercises for the coming days
  python -m bot outbox dispatch [--once]      send what is due (--once: until nothing is due; else keep running)
  python -m bot outbox status                 messages by state
  python -m bot groups add|list|edit|close    course groups (add --title T --start 2027-02-01 [--place ...] ...)
  python -m bot enrolments list|export|show|set-status   enrolments (export --format csv|json)
  python -m bot cohorts start|list|show|move|cancel|set|invite|plan   running groups (start 3 --first 2027-02-01T19:30)
  python -m bot retention                     delete what is past its time now (the dispatcher does it daily)
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.settings import get_settings


def processes() -> str:
    """The Procfile's processes that `make run` starts (for `honcho start $(python -m bot processes)` too)."""
    from bot.supervise import selected

    names = selected({"TELEGRAM_BOT_TOKEN": get_settings().telegram_bot_token or ""})
    if "telegram" not in names:
        print("TELEGRAM_BOT_TOKEN is not set: the Telegram bridge is not started.", file=sys.stderr)
    return " ".join(names)


def outbox(args: argparse.Namespace) -> int:
    from bot.outbox import Outbox, dispatch_with_settings
    from bot.storage.db import default_engine

    if args.action == "plan":
        added = Outbox(default_engine()).plan(days=args.days)
        print(f"planned {added} new messages")
    elif args.action == "status":
        counts = Outbox(default_engine()).counts()
        print("  ".join(f"{state}: {count}" for state, count in counts.items()))
    elif args.once:
        from tqdm import tqdm

        due = Outbox(default_engine()).counts()["pending"]
        with tqdm(total=due, unit="msg", disable=not sys.stderr.isatty() or due < 100) as bar:
            tally = asyncio.run(dispatch_with_settings(once=True, progress=bar.update))
        print("  ".join(f"{outcome}: {count}" for outcome, count in tally.items()))
    else:
        asyncio.run(dispatch_with_settings(once=False))
    return 0


def groups(args: argparse.Namespace) -> int:
    from datetime import date

    from bot.organiser import describe_group
    from bot.storage.course import CourseStore
    from bot.storage.db import default_engine

    store = CourseStore(default_engine())
    values = {
        name: getattr(args, name) for name in
        ("title", "place", "region", "weekday", "start_time", "capacity", "price", "teacher", "status")
        if getattr(args, name, None) is not None
    }
    if getattr(args, "start", None):
        try:
            values["start_date"] = date.fromisoformat(args.start)
        except ValueError:
            print(f"--start must be a date as YYYY-MM-DD (e.g. 2027-02-01), not {args.start!r}", file=sys.stderr)
            return 2
    if getattr(args, "online", False):
        values["online"] = True
    try:
        if args.action == "add":
            missing = [flag for flag, key in (("--title", "title"), ("--start", "start_date")) if key not in values]
            if missing:
                print(f"groups add needs {' and '.join(missing)}", file=sys.stderr)
                return 2
            group_id = store.add_group(**values)
            print(f"added group {group_id}")
            _tell_waiting_list(store, group_id)
        elif args.action == "list":
            for group in store.groups():
                print(f"{group.id:>4}  {group.status:<6}  {group.free:>2}/{group.capacity:<2} free  {describe_group(group)}")
        elif args.action in ("edit", "close"):
            if args.id is None:
                print(f"groups {args.action} needs the group's id", file=sys.stderr)
                return 2
            if args.action == "close":
                values = {"status": "closed"}
            if not store.edit_group(args.id, **values):
                print(f"there is no group {args.id}", file=sys.stderr)
                return 1
            print(f"group {args.id} {'closed' if args.action == 'close' else 'changed'}")
            _tell_waiting_list(store, args.id)
    except ValueError as problem:
        print(f"not stored: {problem}", file=sys.stderr)
        return 2
    return 0


def _tell_waiting_list(store, group_id: int) -> None:  # type: ignore[no-untyped-def]
    from bot.organiser import tell_waiting_list

    added = tell_waiting_list(store, group_id)
    if added:
        print(f"{added} people on the waiting list for {store.group(group_id).region} will hear about it")


def cohorts(args: argparse.Namespace) -> int:
    """Running groups: plan the 8 sessions (first + weekly, or --dates), move or cancel one, the teacher's details,
    place an enrolment (the person gets the code); every change re-plans the participants' messages."""
    from bot.cohorts import CoursePlanner, invite, local_moment
    from bot.storage.cohorts import CohortStore
    from bot.storage.db import default_engine

    engine = default_engine()
    store = CohortStore(engine)
    needs_group = args.action in ("start", "show", "move", "cancel", "set", "invite")
    if needs_group and args.id is None:
        print(f"cohorts {args.action} needs the group's id (see `python -m bot groups list`)", file=sys.stderr)
        return 2
    try:
        if args.action == "start":
            dates = [local_moment(part) for part in args.dates.split(",")] if args.dates else None
            if not dates and not args.first:
                print("cohorts start needs --first 2027-02-01T19:30 (then weekly) or --dates d1,...,d8", file=sys.stderr)
                return 2
            code = store.start(args.id, local_moment(args.first) if args.first else dates[0], dates, args.timezone)
            print(f"group {args.id}: 8 sessions planned, join code {code}")
        elif args.action == "move":
            if args.number is None or not args.to:
                print("cohorts move needs the session number and --to 2027-02-10T19:30", file=sys.stderr)
                return 2
            if not store.move(args.id, args.number, local_moment(args.to)):
                print(f"group {args.id} has no session {args.number}", file=sys.stderr)
                return 1
            print(f"session {args.number} moved to {args.to}")
        elif args.action == "cancel":
            if args.number is None or not store.cancel(args.id, args.number):
                print(f"group {args.id} has no session {args.number}", file=sys.stderr)
                return 1
            print(f"session {args.number} cancelled")
        elif args.action == "set":
            values = {name: getattr(args, name) for name in ("link", "teacher_contact", "timezone")
                      if getattr(args, name) is not None}
            if not store.set_details(args.id, **values):
                print(f"there is no group {args.id}", file=sys.stderr)
                return 1
            print(f"group {args.id} changed")
        elif args.action == "invite":
            if args.enrolment is None or not invite(engine, args.enrolment, args.id):
                print("cohorts invite needs an existing --enrolment and group", file=sys.stderr)
                return 1
            print(f"enrolment {args.enrolment} placed in group {args.id}; they will get the code")
            return 0
        elif args.action == "list":
            for cohort in store.cohorts():
                held = cohort.held
                span = f"{held[0].starts_local:%Y-%m-%d} .. {held[-1].starts_local:%Y-%m-%d}" if held else "no sessions"
                people = len(store.participants(cohort.group_id))
                print(f"{cohort.group_id:>4}  {cohort.join_code or '-':<6}  {span}  {people:>2} participants  {cohort.title}")
            return 0
        elif args.action == "show":
            return _show_cohort(store, args.id)
    except LookupError as problem:
        print(str(problem).strip("'\""), file=sys.stderr)
        return 1
    except ValueError as problem:
        print(f"not stored: {problem}", file=sys.stderr)
        return 2
    added = CoursePlanner(engine).plan(group_id=args.id)
    print(f"course messages re-planned ({added} new)")
    return 0


def _show_cohort(store, group_id: int) -> int:  # type: ignore[no-untyped-def]
    cohort = store.cohort(group_id)
    if cohort is None:
        print(f"there is no group {group_id}", file=sys.stderr)
        return 1
    print(f"{cohort.title}  code {cohort.join_code or '-'}  {cohort.timezone}  teacher {cohort.teacher or '-'} "
          f"({cohort.teacher_contact or 'no contact'})  {cohort.where()}")
    absent = {}
    for row in store.absences(group_id):
        absent.setdefault(row["session"], []).append(row["first_name"])
    for one in cohort.sessions:
        state = "cancelled" if one.cancelled else ""
        away = ", ".join(absent.get(one.number, []))
        print(f"  {one.number}  {one.starts_local:%a %Y-%m-%d %H:%M}  {state}  {('absent: ' + away) if away else ''}".rstrip())
    for person in store.participants(group_id):
        print(f"  participant {person.first_name}  joined {person.joined_at:%Y-%m-%d}  messages {person.nudges}")
    print("  messages: " + "  ".join(f"{state}: {count}" for state, count in sorted(store.nudge_counts(group_id).items())))
    return 0


def enrolments(args: argparse.Namespace) -> int:
    from bot.organiser import export_csv, export_json
    from bot.storage.course import CourseStore
    from bot.storage.db import default_engine

    store = CourseStore(default_engine())
    if args.action == "list":
        for row in store.enrolments():
            where = f"group {row.group_id}" if row.group_id else f"waiting list {row.region or ''}".strip()
            print(f"{row.id:>4}  {row.status:<9}  {row.first_name:<15}  {row.contact:<28}  {where}")
    elif args.action == "export":
        if args.format == "csv":
            sys.stdout.buffer.write(export_csv(store))
        else:
            print(export_json(store))
    elif args.action == "show":
        found = store.enrolment(args.id) if args.id is not None else None
        if found is None:
            print("no such enrolment", file=sys.stderr)
            return 1
        for key, value in found.as_row().items():
            print(f"{key}: {value}")
    elif args.action == "set-status":
        try:
            changed = args.id is not None and store.set_status(args.id, args.status or "")
        except ValueError as problem:
            print(str(problem), file=sys.stderr)
            return 2
        if not changed:
            print("no such enrolment", file=sys.stderr)
            return 1
        print(f"enrolment {args.id}: {args.status}")
    return 0


def main(argv: list) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="what `make run` does: every process under supervisord, restarted when it stops")
    commands.add_parser("processes", help="the processes `make run` starts")
    box = commands.add_parser("outbox", help="the scheduled sender")
    box.add_argument("action", choices=("plan", "dispatch", "status"))
    box.add_argument("--once", action="store_true", help="dispatch: send what is due now, then stop")
    box.add_argument("--days", type=int, default=2, help="plan: how many days ahead (default 2)")
    group = commands.add_parser("groups", help="course groups")
    group.add_argument("action", choices=("add", "list", "edit", "close"))
    group.add_argument("id", type=int, nargs="?")
    group.add_argument("--title")
    group.add_argument("--place", help="town and venue, e.g. 'Zwolle, Buurthuis De Kroon'")
    group.add_argument("--online", action="store_true")
    group.add_argument("--region", help="province or the first two postcode digits")
    group.add_argument("--start", help="start date, YYYY-MM-DD")
    group.add_argument("--weekday", type=int, help="0 = Monday ... 6 = Sunday")
    group.add_argument("--start-time", dest="start_time", help="HH:MM")
    group.add_argument("--capacity", type=int)
    group.add_argument("--price", help="as people should read it, e.g. '€ 95' (empty: ask the organiser)")
    group.add_argument("--teacher", help="the teacher's first name")
    group.add_argument("--status", choices=("open", "full", "closed"))
    cohort = commands.add_parser("cohorts", help="running groups: sessions, join code, participants")
    cohort.add_argument("action", choices=("start", "list", "show", "move", "cancel", "set", "invite", "plan"))
    cohort.add_argument("id", type=int, nargs="?", help="the group's id")
    cohort.add_argument("number", type=int, nargs="?", help="move/cancel: the session number (1-8)")
    cohort.add_argument("--first", help="start: the first session, 2027-02-01T19:30 (then weekly)")
    cohort.add_argument("--dates", help="start: all 8 sessions, comma-separated")
    cohort.add_argument("--to", help="move: the new date and time, 2027-02-10T19:30")
    cohort.add_argument("--timezone", help="e.g. Europe/Amsterdam")
    cohort.add_argument("--link", help="the online meeting link")
    cohort.add_argument("--teacher-contact", dest="teacher_contact", help="how participants reach the teacher")
    cohort.add_argument("--enrolment", type=int, help="invite: the enrolment to place in this group")
    commands.add_parser("retention", help="delete old conversation messages, inactive people, expired downloads")
    enrolment = commands.add_parser("enrolments", help="course enrolments")
    enrolment.add_argument("action", choices=("list", "export", "show", "set-status"))
    enrolment.add_argument("id", type=int, nargs="?")
    enrolment.add_argument("status", nargs="?", help="set-status: new, contacted, placed or cancelled")
    enrolment.add_argument("--format", choices=("csv", "json"), default="csv")
    args = parser.parse_args(argv)
    if args.command == "run":
        from bot.supervise import run

        return run()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.command == "processes":
        print(processes())
        return 0
    if args.command == "groups":
        return groups(args)
    if args.command == "enrolments":
        return enrolments(args)
    if args.command == "cohorts":
        return cohorts(args)
    if args.command == "retention":
        from bot.storage.privacy import purge_with_settings

        purged = purge_with_settings()
        print(f"deleted {purged.events} old conversation events, {purged.people} inactive people, {purged.downloads} expired downloads")
        return 0
    return outbox(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
