#!/usr/bin/env python3
"""The daily check that cron runs: `alumni daily`, with any extra arguments passed on.

Works from cron by full path without an activated environment: it uses the project's .venv.
"""

import sys

from _alumni import run

run(["daily", *sys.argv[1:]])
