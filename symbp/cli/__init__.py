"""symbp's command line: the only code that prints and exits.

``main.py`` builds the argument parser from one module per subcommand
(``check``, ``verify``, ``derive``, ``grade``, ``graph``); each module has
``HELP`` (one line), ``DESCRIPTION``, ``add_arguments(parser)`` and
``run(args, io) -> int``.  ``common.py`` holds
what they share: network options, output, colour, progress, atomic writes.
Subcommand modules import SymPy and NumPy inside ``run`` so that
``symbp --help`` starts fast.
"""
