"""Dataset formats: one module per format, all over the Django-free records in `records.py`."""
