"""`python -m mt5tray` runs the command line."""

from mt5tray.cli import main

raise SystemExit(main())
