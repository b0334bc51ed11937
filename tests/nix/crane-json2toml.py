#!/usr/bin/python3
# Stand-in for crane-utils' crane-json2toml (its crates are newer than
# Debian's): JSON on stdin, TOML on stdout, with Debian's python3-toml.
import json
import sys

import toml

sys.stdout.write(toml.dumps(json.load(sys.stdin)))
