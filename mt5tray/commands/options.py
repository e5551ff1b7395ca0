"""Command-line options shared by several commands (sync, serve-requests, status, ...)."""

from __future__ import annotations

import argparse


def add_common_source_options(parser: argparse.ArgumentParser) -> None:
    """--simulate and --store: where the terminal and the journal come from."""
    parser.add_argument("--simulate", nargs="?", const="live-demo", metavar="FILE",
                        help="use the simulated terminal: a scenario FILE, or the live demo")
    parser.add_argument("--store", metavar="URL",
                        help="sqlite:///PATH for a local journal, or 'supabase' (default: the "
                             "configured store; simulated runs use their own journal)")
