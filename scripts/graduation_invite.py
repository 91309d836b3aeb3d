#!/usr/bin/env python3
"""The chair's graduation invitation run (§3.1): `alumni invite`, arguments passed on.

Dry run by default; `scripts/graduation_invite.py --send` sends. Works by full path without
an activated environment: it uses the project's .venv.
"""

import sys

from _alumni import run

run(["invite", *sys.argv[1:]])
