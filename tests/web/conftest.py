"""The dashboard's browser tests: PostgreSQL, the test gateway, a real agent and Chromium."""

from tests.support.supabase_fixtures import gateway, make_user, pg  # noqa: F401  (fixtures)
from tests.web.fixtures import artifacts, chromium, trader_pc  # noqa: F401  (fixtures)
