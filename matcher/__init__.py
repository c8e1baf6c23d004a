"""TradeMatch matching library.

Data flows one way: ingest -> store -> embed -> index -> candidates -> features -> rank ->
explain -> serve. This package never imports ``api``.
"""

__version__ = "0.1.0"
