"""`python -m honeybee_core.cli`: the same as the `honeybee` command."""

from honeybee_core.cli import main

main()
