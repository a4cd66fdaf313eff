"""Pages of the processes app: the catalogue and process pages (catalogue.py), cases and queues (cases.py)."""
