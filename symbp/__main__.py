import os
import sys

# `python -m symbp` puts the working directory first on sys.path, where a
# user's file named like a library symbp imports (hypothesis.py, numpy.py)
# would replace it.  symbp's own imports never need it: users' modules are
# imported in a child process that puts their folder on the path itself.
if sys.path and os.path.abspath(sys.path[0] or os.curdir) == os.getcwd():
    del sys.path[0]

from symbp.cli.entry import console_main

console_main()
