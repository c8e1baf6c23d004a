"""The TradeMatch HTTP service (FastAPI) and, later, the staff web UI. Depends on ``matcher``."""
