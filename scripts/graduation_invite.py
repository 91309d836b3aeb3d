#!/usr/bin/env python3
"""The chair's graduation invitation run (§3.1): `alumni invite`, arguments passed on.

`alumni invite` arrives with the invitation feature; until then this prints the CLI's answer.
"""

import sys

from alumni.cli import main

main(["invite", *sys.argv[1:]])
