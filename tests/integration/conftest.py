"""Integration tests against a real PostgreSQL and the Supabase-shaped test gateway."""

from tests.support.supabase_fixtures import (  # noqa: F401  (fixtures)
    gateway,
    make_client,
    make_user,
    pg,
)
