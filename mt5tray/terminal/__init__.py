"""Terminal adapters: the real MetaTrader5 package and the simulated terminal.

- mt5api.Mt5ApiTerminal: the Terminal port over any MetaTrader5-like API object.
- metatrader.load_metatrader5 / real_terminal: the real package (Windows only).
- sim: the simulated terminal, a package of its own (sim.SimulatedMT5 is the
  MetaTrader5 API; sim.from_scenario, sim.live_demo and sim.synthetic build
  one; sim.broker.Broker trades on its accounts).
- mt5_types: the wheel's result types and constants.
- processes: is a terminal64.exe running (psutil), asked before initialize;
  ownership: when mt5tray may launch a terminal or log it into an account.
- sim.machine.SimulatedMachine: several simulated terminals on one PC behind
  one module, reached by initialize(path=...).
"""
