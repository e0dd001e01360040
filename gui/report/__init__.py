"""The comparison report: one self-contained HTML file with its charts."""
