"""mt5tray: keeps a trading journal current from a MetaTrader 5 terminal."""

__version__ = "0.1.0"
