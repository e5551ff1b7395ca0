"""Terminal adapters: the real MetaTrader5 package and the simulated terminal.

- mt5api.Mt5ApiTerminal: the Terminal port over any MetaTrader5-like API object.
- metatrader.load_metatrader5 / real_terminal: the real package (Windows only).
- simulator.SimulatedMT5: the MetaTrader5 API, simulated (scenarios, faults,
  live demo, synthetic histories); broker.Broker trades on its accounts.
- mt5_types: the wheel's result types and constants.
"""
