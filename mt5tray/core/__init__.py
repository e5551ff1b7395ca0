"""The Qt-free sync core: standard library, pydantic and apscheduler only.

Nothing in this package may import Qt, MetaTrader5, supabase or any adapter.
"""
