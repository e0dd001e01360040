"""Views only: main window, answer panes, gauges, settings and the live rate chart."""
