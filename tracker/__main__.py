"""Allow ``python -m tracker``."""

from tracker.cli.main import main

main()
