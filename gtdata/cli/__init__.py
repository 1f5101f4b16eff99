"""The ``gtdata`` command line: one command, subcommands in the style of git and pip."""
