"""Data: the synthetic monitoring panel, real exports' ingestion and cleaning, reconciliation
with published figures. Imports only :mod:`relapse_models.core`."""
