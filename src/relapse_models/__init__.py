"""relapse-models: relapse-into-poverty risk models, early-warning thresholds and county
reports for China's dynamic monitoring against relapse into poverty (防止返贫动态监测和帮扶)."""

__version__ = "0.1.0"
