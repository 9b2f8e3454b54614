"""Reports: the weekly scored forecast report (statistics, templates, charts, files)."""
