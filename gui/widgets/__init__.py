"""Views only: main window, answer panes, gauges, settings, rate chart, rating bar, leaderboard and history."""
