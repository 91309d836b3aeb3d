#!/usr/bin/env python3
"""The chair's graduation invitation run (§3.1): `alumni invite`, arguments passed on.

Dry run by default; `scripts/graduation_invite.py --send` sends.
"""

import sys

from alumni.cli import main

main(["invite", *sys.argv[1:]])
