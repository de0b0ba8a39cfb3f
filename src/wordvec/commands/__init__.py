"""Subcommands of the ``wordvec`` CLI, one module each (see ``wordvec.cli``).

``UserError`` lives here, not in ``cli``, so the command modules never import ``cli`` (which
imports them)."""


class UserError(Exception):
    """A mistake the user can fix: printed as one line, exit code 2."""
