"""Put on ``PYTHONPATH`` of the Home Assistant process only: see ``sitecustomize``."""
