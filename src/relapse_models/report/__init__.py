"""Report: every word and label a page shows, small-cell suppression, figures, tables and the
HTML rendering. Presentation only; imports the analysis layers below it (warning, models,
outcome, data, core), never the other way round."""
