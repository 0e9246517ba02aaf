"""Reads: what pages, exports and the API show, computed from the models. Nothing here
writes (the services do)."""
