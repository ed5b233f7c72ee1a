"""``acd-dialer passwd``: the hash of a password or PIN, for ``auth.people`` or the admin API.

It asks twice on a terminal; from a pipe it takes the first line of standard input (scripts,
provisioning). The password itself is printed nowhere.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from acd.passwords import hash_secret

MIN_LENGTH = 4  # a PIN a desk phone can key in


def cmd_passwd(args: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        secret = getpass.getpass("password or PIN: ")
        if getpass.getpass("again: ") != secret:
            print("error: the two entries differ", file=sys.stderr)
            return 2
    else:
        secret = sys.stdin.readline().rstrip("\r\n")
    if len(secret) < MIN_LENGTH:
        print(f"error: at least {MIN_LENGTH} characters", file=sys.stderr)
        return 2
    print(hash_secret(secret))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "passwd",
        help="print the salted hash of a password or PIN (for auth.people in the config)",
        description="Reads the password twice from the terminal, or one line from a pipe, and "
        "prints its scrypt hash to paste into auth.people[].password.",
    )
    p.set_defaults(func=cmd_passwd)
