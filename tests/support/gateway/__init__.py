"""A Supabase-shaped test gateway (PostgREST + GoTrue subset) over a real PostgreSQL.

See server.Gateway. The real supabase-py client talks HTTP to it.
"""

from .auth import create_user
from .server import Gateway, ServedRequest

__all__ = ["Gateway", "ServedRequest", "create_user"]
