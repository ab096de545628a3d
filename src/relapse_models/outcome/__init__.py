"""Outcome and features: the relapse state and label, and the model features built from the
cleaned tables. Imports :mod:`~relapse_models.core` and :mod:`~relapse_models.data`."""
