"""Staff accounts from the command line (production has no demo accounts):

    python -m scripts.staff create --username wang.li --role agent --display-name 王丽
    python -m scripts.staff disable --username wang.li
    python -m scripts.staff enable --username wang.li
    python -m scripts.staff disable-demo     (the demo accounts agent1, supervisor1, analyst1 …)

The password is read with getpass (or one line from stdin when it is not a terminal), never from
the command line, so it does not end up in the shell history.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.config import load_settings
from bot.db import build_engine, build_session_factory, utcnow
from bot.errors import DomainError
from bot.staff import demo as staff_demo
from bot.staff import roles
from bot.staff import service as staff_service


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != password:
        raise SystemExit("The passwords differ; nothing was created.")
    return password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.staff", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create an account (password from getpass/stdin)")
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True, choices=roles.ROLES)
    create.add_argument("--display-name", required=True)
    for name in ("disable", "enable"):
        commands.add_parser(name, help=f"{name} an account").add_argument("--username", required=True)
    commands.add_parser(
        "disable-demo", help="disable the demo staff accounts (production refuses to start with them)"
    )
    args = parser.parse_args(argv)

    engine = build_engine(load_settings().database_url)
    try:
        with build_session_factory(engine).begin() as session:
            if args.command == "create":
                staff = staff_service.create_staff(
                    session=session,
                    username=args.username,
                    display_name=args.display_name,
                    role=args.role,
                    password=_read_password(),
                    now=utcnow(),
                )
                print(f"Created {staff.role} {staff.username} ({staff.display_name}).")
            elif args.command == "disable-demo":
                disabled = staff_demo.disable_demo_accounts(session=session)
                print(f"Disabled demo accounts: {', '.join(disabled) or 'none were active'}.")
            else:
                staff = staff_service.set_active(
                    session=session, username=args.username, active=args.command == "enable"
                )
                print(f"{staff.username} is now {'enabled' if staff.active else 'disabled'}.")
    except DomainError as exc:
        print(f"Refused: {exc.developer_message}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
