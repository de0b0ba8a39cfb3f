"""Subcommands of the ``wordvec`` CLI, one module each (see ``wordvec.cli``)."""
