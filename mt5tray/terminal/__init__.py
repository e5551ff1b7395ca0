"""Terminal adapters: the real MetaTrader5 package and the simulated terminal."""
