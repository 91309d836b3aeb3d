#!/usr/bin/env python3
"""The daily check that cron runs: `alumni daily`, with any extra arguments passed on."""

import sys

from alumni.cli import main

main(["daily", *sys.argv[1:]])
